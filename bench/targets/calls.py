# SPDX-License-Identifier: MIT
"""Benchmark target for torn stacks: call-heavy code whose stack changes
many times while one sample is read. Commands, one per line on stdin:

    tiny SECONDS        a loop calling a one-line function: n = tiny(n)
    rec SECONDS DEPTH   a loop calling a recursion DEPTH frames deep
    leaf SECONDS        a loop doing some work and calling leaf(), which does
                        as much; prints the share of the loop's time leaf() is
                        on top, counted in the process: a timer signal every
                        0.7 ms runs a handler that notes which of the two it
                        interrupted; one that finds leaf() at its first
                        instruction came while the caller was calling it, and
                        counts half ("<share> <signals>")

Each prints one line when done ("done" for tiny and rec). Anything else, or
the end of stdin, ends the process.
"""

import signal
import sys
from time import perf_counter

WORK = 8


def tiny(n):
    return n + 1


def tiny_loop(seconds):
    n, deadline = 0, perf_counter() + seconds
    while perf_counter() < deadline:
        for _ in range(1000):
            n = tiny(n)
    return "done"


def rec(n):
    if n > 1:
        return rec(n - 1) + 1
    return 1


def rec_loop(seconds, depth):
    deadline = perf_counter() + seconds
    while perf_counter() < deadline:
        rec(depth)
    return "done"


def leaf():
    x = 0
    for i in range(WORK):
        x += i
    return x


def leaf_loop(n):
    for _ in range(n):
        x = 0
        for i in range(WORK):
            x += i
        leaf()


def leaf_share(seconds):
    counts = {"leaf": 0, "leaf_loop": 0, "entry": 0}

    def count(signum, frame):
        name = frame.f_code.co_name
        if name in counts:
            counts[name] += 1
            counts["entry"] += name == "leaf" and frame.f_lasti <= 0

    signal.signal(signal.SIGALRM, count)
    signal.setitimer(signal.ITIMER_REAL, 0.0007, 0.0007)
    deadline = perf_counter() + seconds
    try:
        while perf_counter() < deadline:
            leaf_loop(2000)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    n = max(1, counts["leaf"] + counts["leaf_loop"])
    return f"{(counts['leaf'] - counts['entry'] / 2) / n:.5f} {n}"


def main():
    sys.setrecursionlimit(2000)
    for line in sys.stdin:
        cmd = line.split()
        if len(cmd) < 2:
            break
        seconds = float(cmd[1])
        if cmd[0] == "tiny":
            answer = tiny_loop(seconds)
        elif cmd[0] == "rec" and len(cmd) == 3:
            answer = rec_loop(seconds, int(cmd[2]))
        elif cmd[0] == "leaf":
            answer = leaf_share(seconds)
        else:
            break
        print(answer, flush=True)


if __name__ == "__main__":
    main()
