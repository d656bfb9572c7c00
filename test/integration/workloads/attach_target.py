# SPDX-License-Identifier: MIT
"""A long-running program to attach to: prints "ready <pid>" once set up,
then forever computes in keep_busy() and after each 20 ms round writes its
round counter to COUNTER_FILE (atomically), so a test can see it progress.
Exits by itself after 120 s so a broken test cannot leak it.

usage: attach_target.py COUNTER_FILE
"""
import os
import sys
import time


def keep_busy(seconds):
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline: pass  # BUSY-LINE


def publish(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(value))
    os.replace(tmp, path)


def main():
    path = sys.argv[1]
    end = time.monotonic() + 120
    publish(path, 0)
    print("ready %d" % os.getpid(), flush=True)
    rounds = 0
    while time.monotonic() < end:
        keep_busy(0.02)
        rounds += 1
        publish(path, rounds)


if __name__ == "__main__":
    main()
