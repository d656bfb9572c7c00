# SPDX-License-Identifier: MIT
"""Half asleep, half on CPU: each 20 ms wall-clock slice, sleeper() sleeps
(time.sleep, off CPU) for the first half and worker() computes for the
second, on an absolute perf_counter() grid.

usage: sleepy.py INFO SECONDS
INFO receives the wall time ("spent") and the CPU time ("cpu", from
time.thread_time()) actually measured in each function.
"""
import json
import os
import sys
import time

PERIOD = 0.020


def sleeper(until):
    while True:
        left = until - time.perf_counter()
        if left <= 0:
            return
        time.sleep(left)  # SLEEP-LINE


def worker(until):
    while time.perf_counter() < until: pass  # WORK-LINE


def drive(seconds):
    spent = {"sleeper": 0.0, "worker": 0.0}
    cpu = {"sleeper": 0.0, "worker": 0.0}
    start = time.perf_counter()
    k = 0
    while start + k * PERIOD < start + seconds:
        t0 = start + k * PERIOD
        t, c = time.perf_counter(), time.thread_time()
        sleeper(t0 + PERIOD / 2)
        t1, c1 = time.perf_counter(), time.thread_time()
        worker(t0 + PERIOD)
        t2, c2 = time.perf_counter(), time.thread_time()
        spent["sleeper"] += t1 - t
        spent["worker"] += t2 - t1
        cpu["sleeper"] += c1 - c
        cpu["worker"] += c2 - c1
        k += 1
    return spent, cpu


def main():
    info_path, seconds = sys.argv[1], float(sys.argv[2])
    spent, cpu = drive(seconds)
    with open(info_path, "w") as f:
        json.dump({"pid": os.getpid(), "spent": spent, "cpu": cpu}, f)


if __name__ == "__main__":
    main()
