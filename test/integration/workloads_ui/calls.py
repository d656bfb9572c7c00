# SPDX-License-Identifier: MIT
"""A single-threaded workload with a known call tree, for the call tree and
callers / callees views: main() calls alpha() (~60 % of wall time) and
beta() (~30 %), which both call burn(): alpha spends 5/6 of its time in
burn() (BURN-LINE) and the rest in its own loop (ALPHA-LINE), beta the
same, so burn() is called by alpha and beta about 2:1; main() spends the
last ~10 % in its own loop (MAIN-LINE). Also importable, so that
`python -m calls` runs it under runpy's bootstrap frames. Runs until
killed; a safety cap ends it after 120 s.

The loops spin for an amount of CPU time, not of wall time: on a busy
machine a wall-clock loop shorter than the scheduler's gaps lasts a whole
gap, which would inflate the short loops; a CPU-time loop cannot end while
the process waits, so the waits fall into each loop in proportion to its
CPU time and the wall-time shares stay as designed.
"""
import time

cpu = time.thread_time


def burn(seconds):
    deadline = cpu() + seconds
    while cpu() < deadline: pass  # BURN-LINE


def alpha():
    burn(0.010)
    deadline = cpu() + 0.002
    while cpu() < deadline: pass  # ALPHA-LINE


def beta():
    burn(0.005)
    deadline = cpu() + 0.001
    while cpu() < deadline: pass  # BETA-LINE


def main():
    end = time.monotonic() + 120
    while time.monotonic() < end:
        alpha()
        beta()
        deadline = cpu() + 0.002
        while cpu() < deadline: pass  # MAIN-LINE


if __name__ == "__main__":
    main()
