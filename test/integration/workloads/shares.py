# SPDX-License-Identifier: MIT
"""Four busy threads, one of them hard to read: MainThread recurses 200
deep and back in a loop (its stack changes all the time, so some of its
stacks are torn), while "spin-1".."spin-3" spin. In wall mode each thread
is a quarter of the samples, whatever could not be read.

usage: shares.py INFO SECONDS
"""
import json
import os
import sys
import threading
import time

DEPTH = 200
tids = {}


def recurse(n):
    if n:
        return recurse(n - 1)  # RECURSE-LINE
    return 0


def churn(until):
    while time.perf_counter() < until:
        recurse(DEPTH)


def spin(until):
    tids[threading.current_thread().name] = threading.get_native_id()
    while time.perf_counter() < until: pass  # SPIN-LINE


def main():
    info_path, seconds = sys.argv[1], float(sys.argv[2])
    sys.setrecursionlimit(DEPTH + 100)
    until = time.perf_counter() + seconds
    workers = [threading.Thread(name=f"spin-{i}", target=spin, args=(until,)) for i in (1, 2, 3)]
    for w in workers:
        w.start()
    churn(until)
    for w in workers:
        w.join()
    tids["MainThread"] = threading.get_native_id()
    with open(info_path, "w") as f:
        json.dump({"pid": os.getpid(), "tids": tids}, f)


if __name__ == "__main__":
    main()
