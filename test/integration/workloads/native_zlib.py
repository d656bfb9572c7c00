# SPDX-License-Identifier: MIT
"""--native: compress_loop() compresses a 4 MiB buffer with zlib, over and
over, for SECONDS: nearly all of its time is in libz (deflate), called
from zlib.compress's C function. Writes its pid to INFO first, so that a
test can look at it while it runs.

usage: native_zlib.py INFO SECONDS
"""
import json
import os
import sys
import time
import zlib


def compress_loop(data, seconds):
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        zlib.compress(data, 6)
        n += 1
    return n


def main():
    info_path, seconds = sys.argv[1], float(sys.argv[2])
    with open(info_path, "w") as f:
        json.dump({"pid": os.getpid()}, f)
    # Random bytes repeated: deflate works hard on the first copy, matches the rest.
    data = os.urandom(1 << 18) * 16
    compress_loop(data, seconds)


if __name__ == "__main__":
    main()
