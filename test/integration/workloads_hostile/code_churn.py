# SPDX-License-Identifier: MIT
"""Compiles, runs and frees a new function for SECONDS, generation after
generation. Generation N is a function gen_N (N in 8 digits) compiled from
a file named file_N.py, whose body runs on line 2 + N % 97 (the source is
padded with blank lines), so name, file and line all say which generation
a frame belongs to. Names have the same length in every generation and
nothing keeps an old generation alive, so CPython's allocator hands the
memory of the code object, its name, its file name and its line table of
one generation to the next ones. Writes the generation count to INFO.

usage: code_churn.py INFO SECONDS"""
import json
import sys
import time


def busy(seconds):
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline: pass


def main():
    info, seconds = sys.argv[1], float(sys.argv[2])
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        name = "gen_%08d" % n
        source = "\n" * (n % 97) + "def %s(busy):\n    busy(0.0003)\n" % name
        namespace = {}
        exec(compile(source, "file_%08d.py" % n, "exec"), namespace)
        func = namespace.pop(name)
        func(busy)
        del func, namespace
        n += 1
    with open(info, "w") as f:
        json.dump({"generations": n}, f)


if __name__ == "__main__":
    main()
