#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What sampling asyncio tasks costs (--async): bench/targets/tasks.py (one
busy task and N idle ones parked three coroutines deep), proftui attached
at 1 kHz with --async, against the same program with no idle task. For
each N: proftui's CPU per round (a long run minus a short one, wait4), its
ratio to N = 0, the rounds delivered, and how many tasks a round read
(the rest are read in turn: taskwalk.h). Figures, not tests; the issue's
goal is a ratio <= 2 at N = 10,000.

    bench/tasks.py [--proftui PATH] [--python PATH] [--tasks 0,100,1000,10000]
                   [--seconds 4] [--runs 1]
"""

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procs import BenchError, Target, proftui_run  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHORT = 0.5


def one(proftui: str, pid: int, seconds: float):
    opts = ["-p", pid, "-i", "1ms", "--async"]
    a = proftui_run(proftui, opts + ["-d", f"{SHORT}s"])
    b = proftui_run(proftui, opts + ["-d", f"{seconds}s"])
    cpu, rounds = b.cpu_s - a.cpu_s, b.rounds - a.rounds
    if rounds <= 0 or cpu <= 0:
        raise BenchError("the long run did not take more rounds than the short one")
    stacks = b.num("recorded") - a.num("recorded")
    return {"us_per_round": 1e6 * cpu / rounds,
            "delivered_pct": 100.0 * b.rounds / (b.rounds + b.num("missed")),
            "stacks_per_round": stacks / rounds}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--proftui", default=str(REPO / "build" / "proftui"))
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--tasks", default="0,100,1000,10000")
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    print(f"{'idle tasks':>10} {'µs/round':>9} {'× none':>7} {'delivered %':>12} {'stacks/round':>13}")
    base = None
    for n in [int(x) for x in args.tasks.split(",")]:
        with Target(args.python, "tasks.py", [n]) as t:
            runs = [one(args.proftui, t.pid, args.seconds) for _ in range(args.runs)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        base = med["us_per_round"] if n == 0 else base
        ratio = med["us_per_round"] / base if base else float("nan")
        print(f"{n:>10} {med['us_per_round']:>9.1f} {ratio:>7.2f} {med['delivered_pct']:>12.2f} "
              f"{med['stacks_per_round']:>13.1f}", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"tasks.py: {e}", file=sys.stderr)
        sys.exit(1)
