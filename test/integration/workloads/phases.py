# SPDX-License-Identifier: MIT
"""A heavy phase, then a light one: THREADS threads, each DEPTH frames
deep, compute for BUSY seconds (many changing deep stacks: every round of
a sampler reads a lot), then sleep for REST seconds where they are.

usage: phases.py INFO BUSY REST DEPTH THREADS
INFO: JSON with the busy phase's measured length (seconds)."""
import json
import sys
import threading
import time


def down(n, end, rest):
    if n:
        return down(n - 1, end, rest)
    x = 0
    while time.monotonic() < end:
        x += 1
    time.sleep(rest)
    return x


def main():
    info, busy, rest = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    depth, count = int(sys.argv[4]), int(sys.argv[5])
    start = time.monotonic()
    threads = [threading.Thread(target=down, args=(depth, start + busy, rest)) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(info, "w") as f:
        json.dump({"busy": busy, "total": time.monotonic() - start}, f)


main()
