# SPDX-License-Identifier: MIT
"""A deep recursion into a busy leaf: descend() calls itself until DEPTH
frames of it are on the stack, then the innermost one calls bottom().

usage: recursion.py INFO SECONDS DEPTH
"""
import json
import os
import sys
import time


def bottom(deadline):
    while time.perf_counter() < deadline: pass  # BOTTOM-HOT-LINE


def descend(depth, deadline):
    if depth > 1:
        return descend(depth - 1, deadline)  # RECURSE-LINE
    return bottom(deadline)  # BOTTOM-CALL-LINE


def main():
    info_path, seconds, depth = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    sys.setrecursionlimit(max(1000, depth + 100))
    descend(depth, time.perf_counter() + seconds)  # DESCEND-CALL-LINE
    with open(info_path, "w") as f:
        json.dump({"pid": os.getpid(), "depth": depth}, f)


if __name__ == "__main__":
    main()  # MODULE-CALL-LINE
