#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What following worker processes costs: bench/targets/workers.py (a
parent and P worker processes of T threads each, every thread computing
50 us then sleeping S ms, over and over: S = 10 "ticking", every thread
wakes up 100 times a second; S = 1000 "idle"), proftui attached to the
parent at 1 kHz (the workers are found as its descendants). Every mode
records every thread's stack with its state, so the mode (--mode, default
wall) changes nothing here.

For each P: proftui's CPU over a long and a short run (wait4) gives its CPU
per second of sampling, as a share of one core, and per thread-sample
(per recorded stack, and per rounds x threads, the parent's one
included); the long run's rounds delivered = rounds / (rounds + missed).
Figures, not tests.

    bench/workers.py [--proftui PATH] [--python PATH] [--procs 1,2,4,8]
                     [--threads 10] [--sleep-ms 10,1000] [--seconds 4] [--runs 1]
                     [--mode wall]
"""

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procs import BenchError, Target, proftui_run  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHORT = 0.5          # seconds: the run whose cost is subtracted (attach, discovery, output)


def one(proftui: str, pid: int, seconds: float, mode: str, threads: int):
    opts = ["-p", pid, "-i", "1ms", "--mode", mode]
    a = proftui_run(proftui, opts + ["-d", f"{SHORT}s"])
    b = proftui_run(proftui, opts + ["-d", f"{seconds}s"])
    cpu, span = b.cpu_s - a.cpu_s, b.duration - a.duration
    rounds = b.rounds - a.rounds
    stacks = b.num("recorded") - a.num("recorded")
    looked = rounds * threads
    if span <= 0 or rounds <= 0 or cpu <= 0:
        raise BenchError("the long run did not take more rounds than the short one")
    missed = b.num("missed")
    return {
        "cpu_pct": 100.0 * cpu / span,
        "delivered_pct": 100.0 * b.rounds / (b.rounds + missed),
        "us_per_stack": 1e6 * cpu / stacks if stacks > 0 else float("nan"),
        "us_per_thread_round": 1e6 * cpu / looked if looked > 0 else float("nan"),
        "procs": len({s.split(";", 1)[0] for s in b.stacks}),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--proftui", default=str(REPO / "build" / "proftui"))
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--procs", default="1,2,4,8")
    ap.add_argument("--threads", type=int, default=10)
    ap.add_argument("--sleep-ms", default="10,1000")
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--mode", default="wall")
    args = ap.parse_args()
    print(f"{'sleep':>6} {'procs':>5} {'mode':>6} {'CPU % of a core':>16} {'delivered %':>12} "
          f"{'µs/stack':>9} {'µs/thread-round':>16} {'P seen':>6}")
    for sleep_ms in [float(x) for x in args.sleep_ms.split(",")]:
        for nprocs in [int(x) for x in args.procs.split(",")]:
            with Target(args.python, "workers.py", [nprocs, args.threads, 50, sleep_ms]) as t:
                for mode in args.mode.split(","):
                    threads = nprocs * args.threads + 1       # the parent's main thread too
                    runs = [one(args.proftui, t.pid, args.seconds, mode, threads)
                            for _ in range(args.runs)]
                    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                    print(f"{sleep_ms:>6g} {nprocs:>5} {mode:>6} {med['cpu_pct']:>16.1f} "
                          f"{med['delivered_pct']:>12.2f} {med['us_per_stack']:>9.2f} "
                          f"{med['us_per_thread_round']:>16.2f} {med['procs']:>6.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
