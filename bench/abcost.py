#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""proftui's CPU per round, binaries compared A/B on one target: for each
binary in turn (interleaved, RUNS times), a short and a long run attached
at the interval; the difference of their CPU times (wait4) over the
difference of their rounds is the CPU of one round (attaching and writing
the output cancel out). Medians and ranges per binary; the machine's load
before and after. Figures, not tests.

    bench/abcost.py --target deep.py:30,1 [--interval 1ms] [--seconds 2.5]
                    [--runs 5] BINARY [BINARY ...]

Targets are bench/targets scripts with their arguments after a colon
(comma-separated); workers.py's "P,T,50,S" runs P workers of T threads.
The cost of a round is divided by the threads the long run recorded per
round, for the cost per thread-sample."""

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procs import BenchError, Target, proftui_run  # noqa: E402

SHORT = 0.5


def one(binary: str, pid: int, interval: str, seconds: float):
    opts = ["-p", pid, "-i", interval]
    a = proftui_run(binary, opts + ["-d", f"{SHORT}s"])
    b = proftui_run(binary, opts + ["-d", f"{seconds}s"])
    rounds = b.rounds - a.rounds
    if rounds <= 0 or b.cpu_s <= a.cpu_s:
        raise BenchError("the long run did not take more rounds than the short one")
    per_round = (b.cpu_s - a.cpu_s) / rounds
    threads = b.num("recorded") / b.rounds if b.rounds else float("nan")
    delivered = b.rounds / (b.rounds + b.num("missed"))
    return 1e6 * per_round, 1e6 * per_round / threads, 100.0 * delivered


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binaries", nargs="+")
    ap.add_argument("--target", default="deep.py:30,1")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--interval", default="1ms")
    ap.add_argument("--seconds", type=float, default=2.5)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    script, _, rest = args.target.partition(":")
    targs = rest.split(",") if rest else []
    print(f"load before: {os.getloadavg()[0]:.1f}")
    got = {b: [] for b in args.binaries}
    with Target(args.python, script, targs) as t:
        for _ in range(args.runs):
            for b in args.binaries:
                got[b].append(one(b, t.pid, args.interval, args.seconds))
    for b, runs in got.items():
        cols = list(zip(*runs))
        med = [statistics.median(c) for c in cols]
        print(f"{b}: {med[0]:.1f} us/round ({min(cols[0]):.1f}-{max(cols[0]):.1f}), "
              f"{med[1]:.2f} us/thread-sample, delivered {med[2]:.1f} %")
    print(f"load after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
