# SPDX-License-Identifier: MIT
"""Computes in loop_forever() until something ends it (with a safety cap of
120 s so a broken test cannot leak it). Writes INFO first.

usage: forever.py INFO
"""
import json
import os
import sys
import time


def loop_forever(cap):
    deadline = time.perf_counter() + cap
    while time.perf_counter() < deadline: pass


def main():
    with open(sys.argv[1], "w") as f:
        json.dump({"pid": os.getpid()}, f)
    loop_forever(120.0)


if __name__ == "__main__":
    main()
