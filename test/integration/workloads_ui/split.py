# SPDX-License-Identifier: MIT
"""Threads that each spend their CPU time in one place: Python bytecode
(spin), C code a line calls (hash_loop: hashlib on a large buffer), the
kernel (read_loop: reads of /dev/urandom). The main thread sleeps. Each
call in C or the kernel is long (4 MiB), so that hash_loop and read_loop
take the GIL back rarely: on a loaded machine a thread that waits for the
GIL after every short call spends most of its time off a CPU, and
read_loop's time in the kernel could fall below hash_loop's (GIL hand-offs
are system time too).

    split.py [SECONDS [INFO]]

INFO: a JSON file for each thread's user and system time as the kernel
counted them (clock ticks, /proc/self/task/TID/stat), read just before
the threads stop."""
import hashlib
import json
import os
import sys
import threading
import time

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 4.0
INFO = sys.argv[2] if len(sys.argv) > 2 else None
stop = threading.Event()
tids = {}


def spin():
    tids["spin"] = threading.get_native_id()
    x = 0
    while not stop.is_set():
        for i in range(2000):
            x += i * i


def hash_loop():
    tids["hash_loop"] = threading.get_native_id()
    buf = b"\x5a" * (1 << 22)
    while not stop.is_set():
        hashlib.sha256(buf).digest()


def read_loop():
    tids["read_loop"] = threading.get_native_id()
    fd = os.open("/dev/urandom", os.O_RDONLY)
    while not stop.is_set():
        os.read(fd, 1 << 22)


def main():
    threads = [threading.Thread(target=f, name=f.__name__) for f in (spin, hash_loop, read_loop)]
    for t in threads:
        t.start()
    time.sleep(SECONDS)
    if INFO:
        times = {}
        for name, tid in tids.items():
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            times[name] = {"utime": int(fields[11]), "stime": int(fields[12])}
        with open(INFO, "w") as f:
            json.dump(times, f)
    stop.set()
    for t in threads:
        t.join()
    print("done", flush=True)


main()
