# SPDX-License-Identifier: MIT
"""A single-threaded workload with a known call tree, for the call tree and
callers / callees views: main() calls alpha() (~60 % of wall time) and
beta() (~30 %), which both call burn(): alpha spends 5/6 of its time in
burn() (BURN-LINE) and the rest in its own loop (ALPHA-LINE), beta the
same, so burn() is called by alpha and beta about 2:1; main() spends the
last ~10 % in its own loop (MAIN-LINE). Also importable, so that
`python -m calls` runs it under runpy's bootstrap frames. Runs until
killed; a safety cap ends it after 120 s.
"""
import time


def burn(seconds):
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline: pass  # BURN-LINE


def alpha():
    burn(0.010)
    deadline = time.perf_counter() + 0.002
    while time.perf_counter() < deadline: pass  # ALPHA-LINE


def beta():
    burn(0.005)
    deadline = time.perf_counter() + 0.001
    while time.perf_counter() < deadline: pass  # BETA-LINE


def main():
    end = time.monotonic() + 120
    while time.monotonic() < end:
        alpha()
        beta()
        deadline = time.perf_counter() + 0.002
        while time.perf_counter() < deadline: pass  # MAIN-LINE


if __name__ == "__main__":
    main()
