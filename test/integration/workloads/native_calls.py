# SPDX-License-Identifier: MIT
"""--native: Python called back from C. sort_work() sorts with a Python key
function (key_fn, which calls key_helper in Python), reduce_work() folds
with functools.reduce and a Python function (reducer, which calls
reduce_helper): in a mixed stack each of key_fn and reducer stands above
the C frames that called it, their helpers right above them. Alternates
for SECONDS; writes its pid to INFO first.

usage: native_calls.py INFO SECONDS
"""
import functools
import json
import os
import sys
import time


def key_helper(x):
    return (x * 7919) % 10007


def key_fn(x):
    return key_helper(x) + (x & 3)


def sort_work(data):
    return sorted(data, key=key_fn)


def reduce_helper(a, b):
    return (a * 31 + b) % 1000003


def reducer(a, b):
    return reduce_helper(a, b) ^ (b & 7)


def reduce_work(data):
    return functools.reduce(reducer, data, 0)


def main():
    info_path, seconds = sys.argv[1], float(sys.argv[2])
    with open(info_path, "w") as f:
        json.dump({"pid": os.getpid()}, f)
    data = list(range(20000))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sort_work(data)
        reduce_work(data)


if __name__ == "__main__":
    main()
