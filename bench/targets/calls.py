# SPDX-License-Identifier: MIT
"""Benchmark target for torn stacks: the call-heavy workloads of the
integration tests (test/integration/workloads/calls.py), driven by commands,
one per line on stdin:

    tiny SECONDS        a loop calling a one-line function: n = tiny(n)
    rec SECONDS DEPTH   a loop calling a recursion DEPTH frames deep
    gentree SECONDS     a loop walking a tree with recursive generators
    leaf SECONDS        a loop doing some work and calling leaf(), which does
                        as much; prints the share of the loop's time leaf() is
                        on top, counted in the process (leaf_share there), and
                        the number of counts ("<share> <signals>")

Each prints one line when done ("done" for tiny, rec and gentree). Anything else, or
the end of stdin, ends the process.
"""

import importlib.util
import os
import sys
from time import perf_counter

WORKLOADS = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir,
                         "test", "integration", "workloads", "calls.py")


def load_workloads():
    spec = importlib.util.spec_from_file_location("calls_workloads", WORKLOADS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    w = load_workloads()
    sys.setrecursionlimit(2000)
    for line in sys.stdin:
        cmd = line.split()
        if len(cmd) < 2:
            break
        deadline = perf_counter() + float(cmd[1])
        if cmd[0] == "tiny":
            w.tiny_loop(deadline)
            answer = "done"
        elif cmd[0] == "rec" and len(cmd) == 3:
            w.rec_loop(deadline, int(cmd[2]))
            answer = "done"
        elif cmd[0] == "gentree":
            w.gen_tree_loop(deadline)
            answer = "done"
        elif cmd[0] == "leaf":
            r = w.leaf_share(deadline)
            answer = f"{r['leaf_share']:.5f} {r['signals']}"
        else:
            break
        print(answer, flush=True)


if __name__ == "__main__":
    main()
