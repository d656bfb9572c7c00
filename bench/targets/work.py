# SPDX-License-Identifier: MIT
"""Benchmark target for slowdown: a fixed amount of CPU-bound Python work,
timed inside the process. Commands, one per line on stdin:

    calibrate SECONDS   print how many work units take about SECONDS
    work UNITS          run UNITS units, print the wall and the CPU seconds
                        (of this thread) they took
    cprofile UNITS      the same under cProfile (the in-process alternative)

Anything else, or the end of stdin, ends the process.
"""

import cProfile
import sys
import time


def tokenize(text):
    return [w.strip(".,") for w in text.split()]


def score(words, weights):
    total = 0
    for w in words:
        total += weights.get(w, len(w))
    return total


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def unit(i):
    """One unit: a mix of calls, loops, string and dict work."""
    text = "the quick brown fox jumps over the lazy dog, again and again. " * 4
    weights = {"fox": 3, "dog": 5, "lazy": 7}
    acc = score(tokenize(text), weights) + fib(12 + i % 3)
    squares = [j * j for j in range(200)]
    return acc + sum(squares) % 97


def work(units):
    acc = 0
    for i in range(units):
        acc += unit(i)
    return acc


def main():
    for line in sys.stdin:
        cmd = line.split()
        if len(cmd) != 2:
            break
        if cmd[0] == "calibrate":
            want, units, spent = float(cmd[1]), 16, 0.0
            while spent < want / 4:
                units *= 2
                t0 = time.perf_counter()
                work(units)
                spent = time.perf_counter() - t0
            print(max(1, int(units * want / spent)), flush=True)
        elif cmd[0] in ("work", "cprofile"):
            units = int(cmd[1])
            prof = cProfile.Profile() if cmd[0] == "cprofile" else None
            t0, c0 = time.perf_counter(), time.thread_time()
            if prof:
                prof.enable()
            work(units)
            if prof:
                prof.disable()
            print("%.6f %.6f" % (time.perf_counter() - t0, time.thread_time() - c0), flush=True)
        else:
            break


if __name__ == "__main__":
    main()
