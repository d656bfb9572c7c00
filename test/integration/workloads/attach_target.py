# SPDX-License-Identifier: MIT
"""A long-running program to attach to: prints "ready <pid>" once set up,
then forever computes in keep_busy() and after each 20 ms round stores its
round counter in COUNTER_FILE, so a test can see it progress. Exits by itself
after 120 s so a broken test cannot leak it.

The counter is stored through a shared mapping of the file (a memory store,
no system call): writing a file every round could stall for a long part of a
second on a busy disk, and that time would show up in the profile as the
program's own. The test keeps the file in memory (/dev/shm) where it can.

usage: attach_target.py COUNTER_FILE
"""
import mmap
import os
import sys
import time

WIDTH = 20  # decimal digits, zero-padded: the file always reads as one number


def keep_busy(seconds):
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline: pass  # BUSY-LINE


def open_counter(path):
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.ftruncate(fd, WIDTH)
        return mmap.mmap(fd, WIDTH)
    finally:
        os.close(fd)


def publish(counter, value):
    counter[:WIDTH] = b"%0*d" % (WIDTH, value)


def main():
    counter = open_counter(sys.argv[1])
    end = time.monotonic() + 120
    publish(counter, 0)
    print("ready %d" % os.getpid(), flush=True)
    rounds = 0
    while time.monotonic() < end:
        keep_busy(0.02)
        rounds += 1
        publish(counter, rounds)


if __name__ == "__main__":
    main()
