# SPDX-License-Identifier: MIT
"""A single-threaded workload for the flame graph and source views: main()
calls alpha() (~60 % of the time) and beta() (~30 %), which both spend it
in burn(), and spun() (~10 %), a function compiled from a string (its file
is "<generated>": it has no source file). Line markers name the lines the
tests look for. The functions spin for CPU time, not wall time: a busy
machine that preempts the target then stretches them all alike (with
wall-time deadlines the short ones would gain). Runs until killed; a
safety cap ends it after 120 s.

usage: flame_ab.py
"""
import time

GENERATED = compile(
    "def spun(seconds):\n"
    "    deadline = thread_time() + seconds\n"
    "    while thread_time() < deadline: pass\n",
    "<generated>", "exec")
SPACE = {"thread_time": time.thread_time}
exec(GENERATED, SPACE)
spun = SPACE["spun"]


def burn(seconds):
    deadline = time.thread_time() + seconds
    while time.thread_time() < deadline: pass  # BURN-LINE


def alpha():
    step = 0.006  # ALPHA-FIRST
    burn(step)  # ALPHA-HOT


def beta():
    step = 0.003  # BETA-FIRST
    burn(step)  # BETA-HOT


def main():
    end = time.monotonic() + 120
    while time.monotonic() < end:
        alpha()
        beta()
        spun(0.001)


if __name__ == "__main__":
    main()
