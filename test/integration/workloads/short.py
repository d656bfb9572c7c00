# SPDX-License-Identifier: MIT
"""A short-lived script: burn() computes for SECONDS (e.g. 0.05), then exits.

usage: short.py INFO SECONDS
"""
import json
import os
import sys
import time


def burn(seconds):
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline: pass


def main():
    info_path, seconds = sys.argv[1], float(sys.argv[2])
    start = time.perf_counter()
    burn(seconds)
    with open(info_path, "w") as f:
        json.dump({"pid": os.getpid(), "burned": time.perf_counter() - start}, f)


if __name__ == "__main__":
    main()
