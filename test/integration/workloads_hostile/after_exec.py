# SPDX-License-Identifier: MIT
"""The program exec_into.py becomes: computes in after_exec() for SECONDS,
with a deeper stack than before the exec so stale addresses point at other
things.

usage: after_exec.py SECONDS"""
import sys
import time


def after_exec(deadline):
    while time.perf_counter() < deadline: pass  # AFTER-EXEC-LINE


def nest(depth, deadline):
    if depth:
        return nest(depth - 1, deadline)
    return after_exec(deadline)


if __name__ == "__main__":
    nest(30, time.perf_counter() + float(sys.argv[1]))
