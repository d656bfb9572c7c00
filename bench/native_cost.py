#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What --native costs (issue 14's goal: target slowdown at 100 Hz with
--native <= 2 %, and proftui's CPU per native sample):

    python3 bench/native_cost.py [--runs N] [--python PATH]... [--all]

native_slowdown: bench/targets/work.py times a calibrated piece of work
(the pure-Python one, and a zlib.compress loop that spends its time in C)
alone twice and under proftui at 100 Hz and 1 kHz, with and without -n,
in shuffled order, each round; each condition's time (the least of 8
pieces) is compared with the mean of its round's two unprofiled ones (wall
time, and the work thread's own CPU time). The A/B figure is the per-round
difference between -n and plain proftui at the same rate.

native_cpu: the zlib loop runs; proftui samples it for a short and a long
run, with and without -n, at 100 Hz and 1 kHz; the long run's CPU time
(wait4) minus the short one's, over the native samples in between (the
count proftui prints at the end), is its CPU per native sample; minus the
same difference without -n, its extra CPU per native sample.

perf_kernel (once, not per interpreter): bench/perf_cost, the CPU a
thread pays per perf sample, from one event switched on and off every
50 ms in one process (the machine's load changes less in 50 ms than
between two runs of a target).

The first two are also run by bench/run.py (./dev bench, --only
native_slowdown/native_cpu); perf_cost only here.
Figures, not tests: nothing fails on a poor figure."""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procs import BenchError, Target, proftui_attached, proftui_run  # noqa: E402

Runs = Dict[str, List[float]]

KINDS = ("python", "zlib")
RATES = (("100hz", "10ms"), ("1khz", "1ms"))
CONDITIONS = [(f"{n}{rate}", interval, native)
              for rate, interval in RATES for n, native in (("", False), ("native_", True))]
NATIVE_LINE = re.compile(r"native: (\d+) of (\d+) thread samples had a native sample, "
                         r"(\d+) recorded mixed; (\d+) refused")


def native_counts(stderr: str) -> Tuple[int, int, int, int]:
    """(native samples, thread samples, recorded mixed, refused) from the
    line proftui prints at the end with -n."""
    found = NATIVE_LINE.search(stderr)
    if not found:
        raise BenchError("proftui -n printed no native line: " + stderr[-300:])
    return tuple(int(x) for x in found.groups())


REPEAT = 8     # timed pieces of work per condition and round; the least of them counts


def _timed(t: Target, proftui: str, units: int, kind: str, interval, native: bool,
           mixed: Runs) -> List[float]:
    """[wall, CPU] seconds of the work, the least of REPEAT, alone or under
    proftui."""
    ask = f"best {units} {kind} {REPEAT}"
    if interval is None:
        return [float(x) for x in t.ask(ask).split()]
    p = proftui_attached(proftui, t.pid, interval, ["-n"] if native else [])
    try:
        took = [float(x) for x in t.ask(ask).split()]
    finally:
        p.stop()
    prof = p.finish()
    if prof.rounds <= 0:
        raise BenchError(f"proftui at {interval} took no samples during the work")
    if native:
        have, total, mixd, _ = native_counts(prof.stderr)
        if have <= 0:
            raise BenchError(f"proftui -n at {interval} took no native sample")
        mixed.setdefault(f"mixed_pct_{kind}", []).append(100.0 * mixd / max(1, total))
    return took


def native_slowdown(py: str, proftui: str, s) -> Runs:
    """The work of each KIND, alone twice and under each CONDITION per round,
    in shuffled order; each time a piece of s.work_seconds / REPEAT is run
    REPEAT times and the least time counts (the machine's other load only
    ever adds time; what proftui costs the target is there in every piece:
    perf's samples every millisecond of its CPU time, our reads several
    times a piece). Per round: each condition's time over the mean of the
    two unprofiled ones − 1, wall and the thread's CPU time, and the -n
    minus plain difference at each rate."""
    out: Runs = {}
    rnd = random.Random(14)
    with Target(py, "work.py", [], ready_line=False, stdin_pipe=True) as t:
        for kind in KINDS:
            units = int(t.ask(f"calibrate {s.work_seconds / REPEAT} {kind}"))
            t.ask(f"best {units} {kind} {REPEAT}")                # warm up
            for _ in range(s.runs):
                order = CONDITIONS + [("none", None, False)] * 2
                rnd.shuffle(order)
                times: Dict[str, List[List[float]]] = {}
                for label, interval, native in order:
                    times.setdefault(label, []).append(
                        _timed(t, proftui, units, kind, interval, native, out))
                for k, what in ((0, ""), (1, "cpu_")):
                    base = statistics.mean(x[k] for x in times["none"])
                    pct = {label: 100.0 * (times[label][0][k] / base - 1.0)
                           for label, _, _ in CONDITIONS}
                    for label, p in pct.items():
                        out.setdefault(f"nslow_{what}pct_{kind}_{label}", []).append(p)
                    for rate, _ in RATES:
                        out.setdefault(f"nslow_{what}ab_{kind}_{rate}", []).append(
                            pct[f"native_{rate}"] - pct[rate])
                    out.setdefault(f"nslow_{what}s_{kind}", []).append(base)
                    a, b = (x[k] for x in times["none"])       # the noise: alone against alone
                    out.setdefault(f"nslow_{what}aa_{kind}", []).append(100.0 * (b / a - 1.0))
    return out


SHORT, LONG = 0.3, 1.8      # seconds of the two runs whose difference is measured


def native_cpu(py: str, proftui: str, s) -> Runs:
    """The zlib loop sampled at each rate, -n and plain, for SHORT and LONG
    seconds (order shuffled per round): proftui's CPU per native sample
    (all of it, and beyond the same difference without -n), its CPU in %
    of a core with and without -n, and the samples that were mixed; half
    as many rounds as native_slowdown (each takes longer, and CPU time
    depends less on the machine's load than the target's timings)."""
    out: Runs = {}
    rnd = random.Random(41)
    with Target(py, "work.py", [], ready_line=False, stdin_pipe=True) as t:
        t.proc.stdin.write("busy 3600 zlib\n")     # until the target is killed
        t.proc.stdin.flush()
        time.sleep(0.2)
        for _ in range((s.runs + 1) // 2):
            jobs = [(rate, iv, native, sec) for rate, iv in RATES for native in (False, True)
                    for sec in (SHORT, LONG)]
            rnd.shuffle(jobs)
            got = {}
            for rate, iv, native, sec in jobs:
                prof = proftui_run(proftui, ["-p", t.pid, "-i", iv, "-d", f"{sec}s"]
                                   + (["-n"] if native else []))
                counts = native_counts(prof.stderr) if native else (0, prof.num("recorded"), 0, 0)
                got[rate, native, sec] = (prof.cpu_s, prof.duration, counts)
            for rate, _ in RATES:
                d = {}
                for native in (False, True):
                    (c0, t0, n0), (c1, t1, n1) = got[rate, native, SHORT], got[rate, native, LONG]
                    d[native] = (c1 - c0, t1 - t0, n1[0] - n0[0], n1[2] - n0[2], n1[1] - n0[1])
                cpu_n, dur_n, nsamp, nmixed, nstacks = d[True]
                cpu_p, dur_p = d[False][0], d[False][1]
                if nsamp <= 0 or dur_n <= 0 or dur_p <= 0:
                    raise BenchError(f"at {rate} the long -n run took no more native samples")
                out.setdefault(f"ncpu_us_{rate}", []).append(1e6 * cpu_n / nsamp)
                extra = cpu_n / dur_n - cpu_p / dur_p      # per second: the durations differ a little
                out.setdefault(f"ncpu_extra_us_{rate}", []).append(1e6 * extra * dur_n / nsamp)
                out.setdefault(f"ncpu_pct_{rate}", []).append(100.0 * cpu_n / dur_n)
                out.setdefault(f"pcpu_pct_{rate}", []).append(100.0 * cpu_p / dur_p)
                out.setdefault(f"ncpu_native_pct_{rate}", []).append(100.0 * nsamp / max(1, nstacks))
                out.setdefault(f"ncpu_mixed_pct_{rate}", []).append(100.0 * nmixed / max(1, nstacks))
    return out


PERF_RATES = (1000, 4000, 1)    # --native's perf rate at 100 Hz and 1 kHz; 1: the noise floor


def perf_kernel(perf_cost: str, rounds: int, seconds: float) -> Runs:
    """bench/perf_cost (C): the CPU a thread pays per perf sample taken as
    --native takes them, from its own event switched on and off every 50 ms
    under one process; the slowdown at each of PERF_RATES, in shuffled
    order each round. At 1 Hz there is next to nothing to pay: what it
    shows is the method's noise."""
    out: Runs = {}
    rnd = random.Random(7)
    for _ in range(rounds):
        rates = list(PERF_RATES)
        rnd.shuffle(rates)
        for hz in rates:
            text = subprocess.run([perf_cost, str(seconds), str(hz)], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, universal_newlines=True,
                                  timeout=60 + 2 * seconds).stdout
            found = re.search(r"worker slowdown at \d+ Hz: (-?[\d.]+) %", text)
            if not found:
                raise BenchError("bench/perf_cost: " + text.strip()[-300:])
            out.setdefault(f"perf_slow_pct_{hz}", []).append(float(found.group(1)))
            if hz > 1:
                out.setdefault(f"perf_us_{hz}", []).append(1e4 * float(found.group(1)) / hz)
    return out


PERF_METRICS = [
    ("perf_slow_pct_1000", "perf at 1,000/s (-n at 100 Hz): thread's slowdown [%]", "f2", "abs", "", None),
    ("perf_us_1000", "  thread CPU per perf sample [µs]", "f1", "abs", "", None),
    ("perf_slow_pct_4000", "perf at 4,000/s (-n at 1 kHz): thread's slowdown [%]", "f2", "abs", "", None),
    ("perf_us_4000", "  thread CPU per perf sample [µs]", "f1", "abs", "", None),
    ("perf_slow_pct_1", "perf at 1/s (the method's noise): slowdown [%]", "f2", "abs", "", None)]


# figure: (label, format, spread, goal, check(median))
METRICS = [("nslow_s_python", "pure Python work, unprofiled: wall [s] (least of 8)", "f3", "rel", "", None)]
for _kind, _what in (("python", "pure Python work"), ("zlib", "zlib.compress loop")):
    if _kind == "zlib":
        METRICS.append(("nslow_s_zlib", f"{_what}, unprofiled: wall [s] (least of 8)", "f3", "rel", "", None))
    for _w, _wl in (("", "wall"), ("cpu_", "thread CPU")):
        METRICS.append((f"nslow_{_w}aa_{_kind}", f"  {_wl}: unprofiled against unprofiled [%]", "f1",
                        "abs", "", None))
        for _rate, _rl in (("100hz", "100 Hz"), ("1khz", "1 kHz")):
            _goal = "≤2" if _rate == "100hz" else ""
            METRICS += [
                (f"nslow_{_w}pct_{_kind}_{_rate}", f"  {_wl} slowdown, {_rl} [%]", "f1", "abs", "", None),
                (f"nslow_{_w}pct_{_kind}_native_{_rate}", f"  {_wl} slowdown, {_rl} -n [%]", "f1",
                 "abs", _goal, (lambda v: v <= 2.0) if _goal else None),
                (f"nslow_{_w}ab_{_kind}_{_rate}", f"    -n minus plain [points]", "f1", "abs", "", None)]
    METRICS.append((f"mixed_pct_{_kind}", "  samples recorded mixed (-n) [%]", "f1", "abs", "", None))
for _rate, _rl in (("100hz", "100 Hz"), ("1khz", "1 kHz")):
    METRICS += [
        (f"ncpu_us_{_rate}", f"zlib loop, {_rl} -n: proftui CPU µs per native sample", "f1", "rel", "", None),
        (f"ncpu_extra_us_{_rate}", "  of which beyond a Python-only sample [µs]", "f1", "rel", "", None),
        (f"ncpu_pct_{_rate}", "  proftui CPU, -n [% of a core]", "f2", "abs", "", None),
        (f"pcpu_pct_{_rate}", "  proftui CPU, plain [% of a core]", "f2", "abs", "", None),
        (f"ncpu_native_pct_{_rate}", "  thread samples with a native sample [%]", "f1", "abs", "", None),
        (f"ncpu_mixed_pct_{_rate}", "  thread samples recorded mixed [%]", "f1", "abs", "", None)]


def main() -> int:
    import run          # noqa: E402 (the table, the interpreters and the machine's load)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", action="append", default=[],
                    help="this interpreter (repeatable; default /usr/bin/python3)")
    ap.add_argument("--all", action="store_true",
                    help="every CPython >= 3.8 that ./dev bench measures")
    ap.add_argument("--runs", type=int, default=7,
                    help="rounds of the slowdown (default 7; of the CPU figures half as many)")
    ap.add_argument("--work-seconds", type=float, default=0.3, help="length of a timed work (0.3)")
    ap.add_argument("--proftui", default=str(run.REPO / "build" / "proftui"))
    ap.add_argument("--build", default=str(run.REPO / "build"), help="meson build (bench/perf_cost)")
    ap.add_argument("--no-perf-cost", action="store_true", help="leave bench/perf_cost out")
    ap.add_argument("--json", default=str(run.REPO / "bench" / "results" / "native_cost.json"))
    args = ap.parse_args()
    if not os.access(args.proftui, os.X_OK):
        run.log(f"bench: {args.proftui} is not built")
        return 1
    todo = run.interpreters(False, [] if args.all else args.python or ["/usr/bin/python3"])
    s = argparse.Namespace(runs=args.runs, work_seconds=args.work_seconds)
    results = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "commit": run.git_commit(),
               "machine": run.machine_info(), "settings": vars(s), "interpreters": {}}
    for ident, path, version in todo:
        run.log(f"{ident} ({path})")
        ticks, got, errors = run.cpu_ticks(), {}, {}
        for fn in (native_slowdown, native_cpu):
            start = time.monotonic()
            try:
                got.update(fn(path, args.proftui, s))
            except BenchError as e:
                errors[fn.__name__] = str(e)
            run.log(f"  {fn.__name__}: {time.monotonic() - start:.1f} s"
                    + (f" (error: {errors[fn.__name__]})" if fn.__name__ in errors else ""))
        results["interpreters"][ident] = {
            "path": path, "version": list(version), "errors": errors,
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "machine_busy_pct": run.busy_pct(ticks, run.cpu_ticks()),
            "figures": {k: run.summarize(v) for k, v in got.items()}}
    perf_cost = Path(args.build) / "bench" / "perf_cost"
    if args.no_perf_cost:
        results["perf_cost"] = {}
    elif os.access(perf_cost, os.X_OK):
        run.log("bench/perf_cost (the kernel's part, once)")
        ticks = run.cpu_ticks()
        try:
            figures = {k: run.summarize(v) for k, v in
                       perf_kernel(str(perf_cost), (args.runs + 1) // 2, 3.0).items()}
            results["perf_cost"] = {"figures": figures, "machine_busy_pct": run.busy_pct(ticks, run.cpu_ticks())}
        except (BenchError, subprocess.SubprocessError, OSError) as e:
            results["perf_cost"] = {"error": str(e)}
    else:
        results["perf_cost"] = {"error": f"{perf_cost} is not built"}
    results["machine"]["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print_table(results, run)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(f"results: {args.json}")
    return 0


def print_table(results, run) -> None:
    interps = results["interpreters"]
    ids = list(interps)
    rows = [["measurement"] + ids + ["goal"],
            ["machine busy during the runs [%]"] + [f"{interps[i]['machine_busy_pct']:.0f}" for i in ids]
            + [""]]
    for key, label, style, spread, goal, check in METRICS:
        if not any(interps[i]["figures"].get(key) for i in ids):
            continue
        row = [label]
        for i in ids:
            f = interps[i]["figures"].get(key)
            cell = run.fmt_cell(f, style, spread) if f else "—"
            row.append(cell + (" !" if f and check and not check(f["median"]) else ""))
        rows.append(row + [goal])
    run.print_rows(rows, interps, ids)
    pc = results.get("perf_cost", {})
    if pc.get("error"):
        print(f"bench/perf_cost: {pc['error']}")
    for key, label, style, spread, _, _ in PERF_METRICS if pc.get("figures") else ():
        if key in pc["figures"]:
            print(f"bench/perf_cost: {label.strip()}: {run.fmt_cell(pc['figures'][key], style, spread)}")
    if pc.get("figures"):
        print(f"bench/perf_cost: machine busy during the runs: {pc['machine_busy_pct']:.0f} %")
    m = results["machine"]
    print(f"\nmachine: {m['cpu']}, {m['cores']} cores; load average {m['load_before']} before, "
          f"{m['load_after']} after; {results['settings']['runs']} rounds per figure, median "
          f"± half the range (or [min…max]); '!' misses the goal")


if __name__ == "__main__":
    sys.exit(main())
