# SPDX-License-Identifier: MIT
"""Two classes' run() in one file, for the source view: A.run (~65 % of
the time; decorated over two lines, and its last lines are a string at
column 0) and B.run (~35 %). Before 3.11 a frame knows only co_name, so
both are called "run": only their first lines (co_firstlineno) tell them
apart. They spin for CPU time, not wall time (see flame_ab.py). Line
markers name the lines the tests look for. Runs until killed; a safety
cap ends it after 120 s.

usage: two_runs.py
"""
import time


def tag(label):
    def mark(f):
        f.label = label
        return f
    return mark


class A:
    @tag(  # A-FIRST
"a")
    def run(self):
        deadline = time.thread_time() + 0.006
        while time.thread_time() < deadline: pass  # A-HOT
        return """
not the end of A.run
"""  # A-LAST


class B:
    def run(self):  # B-FIRST
        deadline = time.thread_time() + 0.003
        while time.thread_time() < deadline: pass  # B-HOT


def main():
    a, b = A(), B()
    end = time.monotonic() + 120
    while time.monotonic() < end:
        a.run()
        b.run()


if __name__ == "__main__":
    main()
