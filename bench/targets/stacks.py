# SPDX-License-Identifier: MIT
"""Benchmark target for memory: THREADS threads (the main thread included)
keep walking random paths through a 4-level tree of generated functions
with 10 children each, each thread its own share of the tree, so the
profile holds about 10,000 distinct stacks (THREADS <= 10).
Prints "ready" once every thread runs; stops after LIFETIME seconds or when
killed.

    python stacks.py THREADS [LIFETIME]
"""

import random
import time

from threads import run, started

LEVELS, FANOUT = 4, 10
LEAF_LOOPS = 3000

# One function per (level, child): level k calls the child of level k + 1
# named by the path's next digit, from a line of its own, so every path is
# a distinct stack. The leaf's work is one line in C (sum), so the leaf
# adds no line variants.
SOURCE = []
for level in range(LEVELS):
    for child in range(FANOUT):
        name = "f%d_%d" % (level, child)
        if level == LEVELS - 1:
            body = "    return sum(range(LEAF_LOOPS))\n"
        else:
            body = "    return TREE[%d][path[%d]](path)\n" % (level + 1, level + 1)
        SOURCE.append("def %s(path):\n%s" % (name, body))
exec("\n".join(SOURCE))
TREE = [[globals()["f%d_%d" % (lv, ch)] for ch in range(FANOUT)] for lv in range(LEVELS)]

def walk(seed, threads, end):
    # Thread `seed` takes the first-level children seed, seed + THREADS, ...,
    # so the threads share no stack and the whole profile holds about
    # FANOUT ** LEVELS of them (each thread's stacks are its own in the table).
    firsts = list(range(seed, FANOUT, threads))
    started(threads)
    rnd = random.Random(seed)
    path = [0] * LEVELS
    while time.monotonic() < end:
        for _ in range(100):
            path[0] = rnd.choice(firsts)
            for level in range(1, LEVELS):
                path[level] = rnd.randrange(FANOUT)
            TREE[0][path[0]](path)


if __name__ == "__main__":
    run(walk)
