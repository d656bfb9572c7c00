# SPDX-License-Identifier: MIT
"""Threads in known GIL states for test_gil.py.

  gil.py threads   "spinner-1" and "spinner-2" run pure Python (they take
                   turns holding the GIL), "hasher" hashes a 32 MiB buffer
                   over and over (hashlib lets the GIL go while it hashes),
                   MainThread sleeps (never takes the GIL once ready).
  gil.py gc        MainThread makes cyclic garbage and collects it in a
                   loop; "spinner" runs pure Python.

Prints "ready PID" and the threads' native ids as JSON once every thread
runs; exits after 120 s at the latest.
"""
import gc
import hashlib
import json
import os
import sys
import threading
import time

tids = {}
started = threading.Semaphore(0)


def spin():
    tids[threading.current_thread().name] = threading.get_native_id()
    started.release()
    n = 0
    while True:
        n += 1


def hasher():
    buf = b"\x5a" * (32 << 20)
    tids["hasher"] = threading.get_native_id()
    started.release()
    while True:
        hashlib.sha256(buf).digest()


def collect_forever():
    deadline = time.time() + 120
    while time.time() < deadline:
        junk = []
        for _ in range(50000):
            a = [junk]
            a.append(a)
            junk = [a]
        del a, junk
        gc.collect()


def main():
    mode = sys.argv[1]
    names = {"threads": (("spinner-1", spin), ("spinner-2", spin), ("hasher", hasher)),
             "gc": (("spinner", spin),)}[mode]
    for name, fn in names:
        threading.Thread(name=name, target=fn, daemon=True).start()
    for _ in names:
        started.acquire()
    tids["MainThread"] = threading.get_native_id()
    print("ready %d %s" % (os.getpid(), json.dumps(tids)), flush=True)
    if mode == "gc":
        collect_forever()
    else:
        time.sleep(120)  # SLEEP-LINE


main()
