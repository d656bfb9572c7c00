# SPDX-License-Identifier: MIT
"""Prints "ready <pid>", computes in before_exec() for SECONDS, then
replaces itself (same PID) with PROGRAM ARGS... through os.execv.

usage: exec_into.py SECONDS PROGRAM [ARG...]"""
import os
import sys
import time


def before_exec(deadline):
    while time.perf_counter() < deadline: pass  # BEFORE-EXEC-LINE


def main():
    print("ready %d" % os.getpid(), flush=True)
    before_exec(time.perf_counter() + float(sys.argv[1]))
    sys.stdout.flush()
    os.execv(sys.argv[2], sys.argv[2:])


if __name__ == "__main__":
    main()
