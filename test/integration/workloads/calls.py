# SPDX-License-Identifier: MIT
"""Call-heavy code, where the stack changes faster than a sample is read.
MODE is one of:

  tiny   a loop calling a one-line function: n = tiny(n)
  leaf   a loop that does some work, then calls leaf(), which does as much;
         the info file gets the share of the loop's time leaf() is on top,
         measured in the process (see leaf_share), to compare the sampled
         share of leaf() under leaf_loop() with
  gen    a loop over a generator: each step resumes it for one yield
  rec    a loop calling a recursion DEPTH frames deep (rec(DEPTH)), whose
         bottom runs a short loop
  gentree  a loop walking a tree with recursive generators (yield from), as
         parsers and tree visitors do: new generators all the time, and each
         item passes up and down the chain of them

usage: calls.py INFO SECONDS MODE [DEPTH]
"""
import json
import os
import signal
import sys
from time import perf_counter

WORK = 8      # loop iterations in leaf() and in each step of its caller


def tiny(n):
    return n + 1  # TINY-LINE


def tiny_loop(deadline):
    n = 0
    while True:
        for _ in range(1000):
            n = tiny(n)  # TINY-CALL-LINE
        if perf_counter() > deadline:
            return n


def leaf():
    x = 0
    for i in range(WORK):
        x += i  # LEAF-LINE
    return x


def leaf_loop(n):
    for _ in range(n):
        x = 0
        for i in range(WORK):
            x += i  # CALLER-LINE
        leaf()


def leaf_share(deadline):
    """Run leaf_loop until the deadline, and count in the process which of
    leaf() and leaf_loop() is on top: a timer signal every 0.7 ms (not a
    multiple of the loop's period) runs a handler that notes the frame it
    interrupted. The interpreter runs a handler at the next instruction that
    checks for signals, so a signal that came while the caller was calling
    leaf() is counted at leaf()'s first instruction (f_lasti <= 0): those
    count half, give or take half (leaf_share_error)."""
    counts = {"leaf": 0, "leaf_loop": 0, "entry": 0}

    def count(signum, frame):
        name = frame.f_code.co_name
        if name in counts:
            counts[name] += 1
            counts["entry"] += name == "leaf" and frame.f_lasti <= 0

    signal.signal(signal.SIGALRM, count)
    signal.setitimer(signal.ITIMER_REAL, 0.0007, 0.0007)
    try:
        while perf_counter() < deadline:
            leaf_loop(2000)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    n = max(1, counts["leaf"] + counts["leaf_loop"])
    return {"leaf_share": (counts["leaf"] - counts["entry"] / 2) / n,
            "leaf_share_error": counts["entry"] / 2 / n, "signals": n}


def gen():
    n = 0
    while True:
        n += 1
        yield n  # GEN-LINE


def gen_loop(deadline):
    total = 0
    for i, x in enumerate(gen()):
        total += x  # GEN-CALLER-LINE
        if i % 1000 == 0 and perf_counter() > deadline:
            return total


class Node:
    def __init__(self, depth, fan):
        self.children = [Node(depth - 1, fan) for _ in range(fan)] if depth else []

    def pre_order(self):
        yield self  # GENTREE-YIELD-LINE
        for child in self.children:
            yield from child.pre_order()  # GENTREE-FROM-LINE


def gen_tree_loop(deadline):
    tree, leaves = Node(6, 4), 0
    while perf_counter() < deadline:
        for node in tree.pre_order():
            leaves += not node.children  # GENTREE-CALLER-LINE
    return leaves


def rec(n):
    if n > 1:
        return rec(n - 1) + 1  # REC-LINE
    x = 1
    for i in range(WORK):  # the bottom stays a little: see test_truth's rec test
        x += i  # REC-BOTTOM-LINE
    return x


def rec_loop(deadline, depth):
    """Between the calls a pause of a varying length (0-15 steps of a loop,
    from a linear congruential sequence): a recursion called at a steady
    period locks in phase with a steady sampling rate, and then some levels
    get tens of times the samples of others from one run to the next."""
    total, seed = 0, 12345
    while perf_counter() < deadline:
        total += rec(depth)  # REC-CALL-LINE
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        for _ in range(seed >> 27):
            pass
    return total


def main():
    info_path, seconds, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    depth = int(sys.argv[4]) if len(sys.argv) > 4 else 40
    sys.setrecursionlimit(max(1000, depth + 100))
    deadline = perf_counter() + seconds
    info = {"pid": os.getpid(), "mode": mode, "depth": depth}
    if mode == "tiny":
        tiny_loop(deadline)
    elif mode == "leaf":
        info.update(leaf_share(deadline))
    elif mode == "gen":
        gen_loop(deadline)
    elif mode == "gentree":
        gen_tree_loop(deadline)
    else:
        rec_loop(deadline, depth)
    with open(info_path, "w") as f:
        json.dump(info, f)


if __name__ == "__main__":
    main()  # MODULE-CALL-LINE
