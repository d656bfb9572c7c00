# SPDX-License-Identifier: MIT
"""Thread names that change: "napper" sleeps 0.3 s before it first runs,
then naps (9 ms asleep, 1 ms on CPU); "before" naps the same way, renames
itself to "after" after 0.5 s, and goes on napping.

usage: names.py INFO SECONDS
"""
import json
import os
import sys
import threading
import time

tids = {}


def nap(until):
    while time.perf_counter() < until:
        time.sleep(0.009)
        t = time.perf_counter()
        while time.perf_counter() - t < 0.001: pass  # NAP-WORK


def napper(until):
    tids["napper"] = threading.get_native_id()
    time.sleep(0.3)
    nap(until)


def renamer(until):
    tids["renamer"] = threading.get_native_id()
    nap(time.perf_counter() + 0.5)
    threading.current_thread().name = "after"
    nap(until)


def main():
    info_path, seconds = sys.argv[1], float(sys.argv[2])
    until = time.perf_counter() + seconds
    threads = [threading.Thread(name="napper", target=napper, args=(until,)),
               threading.Thread(name="before", target=renamer, args=(until,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(info_path, "w") as f:
        json.dump({"pid": os.getpid(), "tids": tids}, f)


if __name__ == "__main__":
    main()
