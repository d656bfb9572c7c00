# SPDX-License-Identifier: MIT
"""Four busy threads, one of them hard to read: MainThread recurses 200
deep and back in a loop (its stack changes all the time, so some of its
stacks are torn), while "spin-1".."spin-3" spin. The four start their work
together (a barrier) and stop at the same time, so in wall mode each thread
has a quarter of the samples of that work, whatever could not be read.

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
    while time.perf_counter() < until: pass  # SPIN-LINE


def worker(start, end):
    tids[threading.current_thread().name] = threading.get_native_id()
    start.wait()
    spin(end[0])


def main():
    info_path, seconds = sys.argv[1], float(sys.argv[2])
    sys.setrecursionlimit(DEPTH + 100)
    end = [0.0]

    def set_end():
        end[0] = time.perf_counter() + seconds
    start = threading.Barrier(4, action=set_end)
    workers = [threading.Thread(name=f"spin-{i}", target=worker, args=(start, end)) for i in (1, 2, 3)]
    for w in workers:
        w.start()
    start.wait()
    churn(end[0])
    for w in workers:
        w.join()
    tids["MainThread"] = threading.get_native_id()
    with open(info_path, "w") as f:
        json.dump({"pid": os.getpid(), "tids": tids}, f)


if __name__ == "__main__":
    main()
