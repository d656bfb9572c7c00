# SPDX-License-Identifier: MIT
"""Benchmark target for slowdown: a fixed amount of CPU-bound work, timed
inside the process. Commands, one per line on stdin:

    calibrate SECONDS [KIND]  print how many work units take about SECONDS
    work UNITS [KIND]         run UNITS units, print the wall and the CPU
                              seconds (of this thread) they took
    cprofile UNITS [KIND]     the same under cProfile (the in-process alternative)
    best UNITS KIND N         run UNITS units N times, print the least wall and
                              the least CPU seconds of the N
    busy SECONDS [KIND]       run units until SECONDS have passed, print "done"

KIND is "python" (the default: calls, loops, string and dict work, all in
the interpreter) or "zlib" (a loop compressing with zlib: most of the time
in C, under a few Python frames). Anything else, or the end of stdin, ends
the process.
"""

import cProfile
import sys
import time
import zlib


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


BLOCK = bytes(range(256)) * 64 + b"the quick brown fox jumps over the lazy dog " * 400


def zunit(i):
    """One zlib unit: compress a 34 KiB block (varied a little), check it."""
    data = BLOCK[i % 64:] + bytes([i & 0xFF])
    packed = zlib.compress(data, 6)
    return len(packed) + zlib.crc32(packed) % 97


def work(units, kind="python"):
    one = zunit if kind == "zlib" else unit
    acc = 0
    for i in range(units):
        acc += one(i)
    return acc


def timed(units, kind):
    """(wall, CPU seconds of this thread) of work(units, kind)."""
    t0, c0 = time.perf_counter(), time.thread_time()
    work(units, kind)
    return time.perf_counter() - t0, time.thread_time() - c0


def main():
    for line in sys.stdin:
        cmd = line.split()
        if cmd[:1] == ["best"] and len(cmd) == 4 and cmd[2] in ("python", "zlib"):
            took = [timed(int(cmd[1]), cmd[2]) for _ in range(int(cmd[3]))]
            print("%.6f %.6f" % (min(x[0] for x in took), min(x[1] for x in took)), flush=True)
            continue
        if len(cmd) not in (2, 3) or cmd[2:] not in ([], ["python"], ["zlib"]):
            break
        kind = cmd[2] if len(cmd) == 3 else "python"
        if cmd[0] == "calibrate":
            want, units, spent = float(cmd[1]), 16, 0.0
            while spent < want / 4:
                units *= 2
                spent = timed(units, kind)[0]
            # the least of three: a busy machine only ever adds time
            spent = min([spent] + [timed(units, kind)[0] for _ in range(2)])
            print(max(1, int(units * want / spent)), flush=True)
        elif cmd[0] in ("work", "cprofile"):
            units = int(cmd[1])
            prof = cProfile.Profile() if cmd[0] == "cprofile" else None
            t0, c0 = time.perf_counter(), time.thread_time()
            if prof:
                prof.enable()
            work(units, kind)
            if prof:
                prof.disable()
            print("%.6f %.6f" % (time.perf_counter() - t0, time.thread_time() - c0), flush=True)
        elif cmd[0] == "busy":
            end = time.perf_counter() + float(cmd[1])
            while time.perf_counter() < end:
                work(4, kind)
            print("done", flush=True)
        else:
            break


if __name__ == "__main__":
    main()
