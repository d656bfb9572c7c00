# SPDX-License-Identifier: MIT
"""Known time budgets: alternate() spends SHARE_A of each 10 ms wall-clock
slice spinning in busy_a() and the rest in busy_b(), on an absolute
perf_counter() grid (so scheduling delays cannot shift the ratio).

usage: budgets.py INFO SECONDS SHARE_A
INFO receives the wall time ("spent") and the CPU time ("cpu", from
time.thread_time()) actually measured in each function.
"""
import json
import os
import sys
import time

PERIOD = 0.010


def busy_a(until):
    while time.perf_counter() < until: pass


def busy_b(until):
    while time.perf_counter() < until: pass


def alternate(seconds, share_a):
    spent = {"busy_a": 0.0, "busy_b": 0.0}
    cpu = {"busy_a": 0.0, "busy_b": 0.0}
    start = time.perf_counter()
    k = 0
    while start + k * PERIOD < start + seconds:
        t0 = start + k * PERIOD
        t, c = time.perf_counter(), time.thread_time()
        busy_a(t0 + share_a * PERIOD)
        t1, c1 = time.perf_counter(), time.thread_time()
        busy_b(t0 + PERIOD)
        t2, c2 = time.perf_counter(), time.thread_time()
        spent["busy_a"] += t1 - t
        spent["busy_b"] += t2 - t1
        cpu["busy_a"] += c1 - c
        cpu["busy_b"] += c2 - c1
        k += 1
    return spent, cpu


def main():
    info_path, seconds, share_a = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    spent, cpu = alternate(seconds, share_a)
    with open(info_path, "w") as f:
        json.dump({"pid": os.getpid(), "spent": spent, "cpu": cpu}, f)


if __name__ == "__main__":
    main()
