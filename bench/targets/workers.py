# SPDX-License-Identifier: MIT
"""Benchmark target: a parent and PROCS worker processes (multiprocessing,
fork), each worker with THREADS threads (its main thread included), like a
server's workers: every thread, 10 frames deep, computes for WORK_US
microseconds, then sleeps for SLEEP_MS milliseconds, over and over. The
parent only waits. Prints "ready" once every thread of every worker runs,
then runs until killed or until LIFETIME seconds have passed.

    python workers.py PROCS THREADS WORK_US SLEEP_MS [LIFETIME]
"""

import multiprocessing
import sys
import threading
import time

DEPTH = 10


def cycle(end, work_s, sleep_s):
    x = 0
    while time.monotonic() < end:
        stop = time.perf_counter() + work_s
        while time.perf_counter() < stop:
            for i in range(100):
                x += i
        time.sleep(sleep_s)
    return x


def descend(n, *args):
    if n > 1:
        return descend(n - 1, *args)
    return cycle(*args)


def worker(threads, end, work_s, sleep_s, started):
    for _ in range(threads - 1):
        threading.Thread(target=descend, args=(DEPTH, end, work_s, sleep_s), daemon=True).start()
    started.release()
    descend(DEPTH, end, work_s, sleep_s)


def main():
    procs, threads = int(sys.argv[1]), int(sys.argv[2])
    work_us, sleep_ms = float(sys.argv[3]), float(sys.argv[4])
    lifetime = float(sys.argv[5]) if len(sys.argv) > 5 else 600.0
    end = time.monotonic() + lifetime
    ctx = multiprocessing.get_context("fork")
    started = ctx.Semaphore(0)
    workers = [ctx.Process(target=worker, args=(threads, end, work_us / 1e6, sleep_ms / 1e3, started),
                           daemon=True) for _ in range(procs)]
    for w in workers:
        w.start()
    for _ in workers:
        started.acquire()
    print("ready", flush=True)
    for w in workers:
        w.join()


if __name__ == "__main__":
    main()
