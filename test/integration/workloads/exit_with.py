# SPDX-License-Identifier: MIT
"""Computes in burn() for a moment, then ends in a chosen way:
`exit N` -> sys.exit(N); `signal N` -> kills itself with signal N.

usage: exit_with.py INFO exit|signal N
"""
import json
import os
import sys
import time


def burn(seconds):
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline: pass


def main():
    info_path, how, number = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(info_path, "w") as f:
        json.dump({"pid": os.getpid()}, f)
    burn(0.2)
    if how == "exit":
        sys.exit(number)
    os.kill(os.getpid(), number)
    time.sleep(10)  # not reached: the signal's default action ends us
    sys.exit(99)


if __name__ == "__main__":
    main()
