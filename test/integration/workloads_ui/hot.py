# SPDX-License-Identifier: MIT
"""A single-threaded workload with known shares of wall time, for the live
view's tests: hottest() ~60 %, two_lines() ~30 % (2/3 on LINE-A, 1/3 on
LINE-B), warm() ~10 %, and ten tiny_N() functions far under 1 % each.
Each function spins for a span of its thread's CPU time, so a busy machine
that takes the CPU away stretches every function alike and the shares of
wall time stay the same. Runs until killed, or until STOP_FILE exists (then exits with status
EXIT_CODE). A safety cap ends it after 120 s.

usage: hot.py [STOP_FILE EXIT_CODE]
"""
import os
import sys
import time


def spin(seconds):
    deadline = time.thread_time() + seconds
    while time.thread_time() < deadline: pass  # SPIN-LINE


def hottest():
    deadline = time.thread_time() + 0.012
    while time.thread_time() < deadline: pass  # HOTTEST-LINE


def two_lines():
    deadline = time.thread_time() + 0.004
    while time.thread_time() < deadline: pass  # LINE-A
    deadline = time.thread_time() + 0.002
    while time.thread_time() < deadline: pass  # LINE-B


def warm():
    deadline = time.thread_time() + 0.002
    while time.thread_time() < deadline: pass  # WARM-LINE


def make_tiny(n):
    """A function whose code object is named tiny_<n> (CodeType.replace: 3.8+)."""
    def tiny():
        deadline = time.thread_time() + 0.00002
        while time.thread_time() < deadline: pass
    code = tiny.__code__.replace(co_name="tiny_%d" % n)
    if sys.version_info >= (3, 11):
        code = code.replace(co_qualname="tiny_%d" % n)
    tiny.__code__ = code
    return tiny


TINY = [make_tiny(n) for n in range(10)]


def main():
    stop = sys.argv[1] if len(sys.argv) > 1 else None
    code = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    end = time.monotonic() + 120
    while time.monotonic() < end:
        hottest()
        two_lines()
        warm()
        for tiny in TINY:
            tiny()
        if stop and os.path.exists(stop):
            sys.exit(code)


if __name__ == "__main__":
    main()
