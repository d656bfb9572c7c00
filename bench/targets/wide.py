# SPDX-License-Identifier: MIT
"""Benchmark target for the live view at 10 kHz: THREADS threads keep
calling random chains of DEPTH functions out of FUNCS generated ones
(each frame calls the next from one of two lines; PATHS random chains made
in advance, so that the samples fall in the chains), so that the profile
soon holds about FUNCS functions and tens of thousands of distinct stacks
(hundreds of thousands of nodes), as bench/ui_bench's synthetic profile. Prints "ready" once
every thread runs; stops after LIFETIME seconds or when killed.

    python wide.py THREADS [LIFETIME]
"""

import random
import time

from threads import run, started

FUNCS, DEPTH = 10000, 8
LEAF_LOOPS = 100
PATHS = 50000          # made in advance: the samples fall in the chains, not in random()

SOURCE = []
for i in range(FUNCS):
    SOURCE.append(
        "def w%05d(path, k):\n"
        "    if k == 0:\n"
        "        return sum(range(LEAF_LOOPS))\n"
        "    if path[k] & 1:\n"
        "        return CHAIN[path[k] %% FUNCS](path, k - 1)\n"
        "    return CHAIN[path[k] %% FUNCS](path, k - 1)\n" % i)
exec(compile("\n".join(SOURCE), "wide_generated.py", "exec"))
CHAIN = [globals()["w%05d" % i] for i in range(FUNCS)]

def walk(seed, threads, end):
    rnd = random.Random(seed)
    paths = [[rnd.randrange(1 << 30) for _ in range(DEPTH + 1)] for _ in range(PATHS)]
    started(threads)
    while time.monotonic() < end:
        for path in paths:
            CHAIN[path[DEPTH] % FUNCS](path, DEPTH)


if __name__ == "__main__":
    run(walk)
