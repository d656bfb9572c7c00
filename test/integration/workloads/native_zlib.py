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
    # 16 KiB of random bytes repeated: each repeat lies within deflate's
    # 32 KiB window, so deflate searches for matches all the time and its
    # output stays small (about 45 KiB). A 256 KiB block repeated, as this
    # was, is out of the window's reach: 4 MiB of output, and copying it
    # out (memmove called by zlib's C function, not by libz) took 10-12 %
    # of the samples on a busy machine.
    data = os.urandom(1 << 14) * 256
    compress_loop(data, seconds)


if __name__ == "__main__":
    main()
