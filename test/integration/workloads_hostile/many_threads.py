# SPDX-License-Identifier: MIT
"""Starts COUNT threads that all wait in parked(), then computes in
main_spin() until stdin closes (or 120 s). Prints "ready <pid> <n>" with the
number of threads alive once every thread is parked, and writes their
native thread ids (3.8+: threading.get_native_id) to INFO as JSON.

usage: many_threads.py INFO COUNT"""
import json
import os
import select
import sys
import threading
import time

release = threading.Event()


def parked(started):
    started.release()
    release.wait(120)  # PARKED-LINE


def main_spin():
    end = time.monotonic() + 120
    while time.monotonic() < end:
        if select.select([sys.stdin], [], [], 0.001)[0]:
            break


def main():
    info, count = sys.argv[1], int(sys.argv[2])
    threading.stack_size(256 * 1024)
    started = threading.Semaphore(0)
    threads = [threading.Thread(target=parked, args=(started,), daemon=True)
               for _ in range(count)]
    for t in threads:
        t.start()
    for _ in threads:
        started.acquire()
    with open(info, "w") as f:
        json.dump({"pid": os.getpid(), "tids": [t.native_id for t in threads]}, f)
    print("ready %d %d" % (os.getpid(), threading.active_count()), flush=True)
    main_spin()
    release.set()


if __name__ == "__main__":
    main()
