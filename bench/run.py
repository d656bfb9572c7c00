#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""proftui's benchmark (./dev bench [--quick]): sampling rate by stack depth
and thread count, delivered rate, target slowdown, proftui's own CPU and
memory, and the table/UI micro-benchmarks, on every CPython >= 3.8 on the
machine and Debian's 3.14/3.15 from the build tree (fetched by
test/pythons/fetch-debian.sh, which ./dev bench runs first). Prints a table
of medians with their spread and writes the figures as JSON
(bench/results/latest.json unless --json says otherwise).

Figures, not tests: nothing here fails because a number is poor; the table
marks figures that miss the issue's goals with '!'."""

import argparse
import datetime
import glob
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(REPO / "test" / "pythons"))
import debian  # noqa: E402
import measure  # noqa: E402
import native_cost  # noqa: E402
from procs import BenchError, python_version  # noqa: E402

# metric: (label, unit format, spread style, goal text, goal check(value, (major, minor)))
METRICS = [
    ("rate_d10", "depth 10: samples/s (wall, back to back)", "k", "rel", "", None),
    ("cpu_us_d10", "  CPU µs per sample", "f2", "rel", "", None),
    ("core_rate_d10", "  samples/s with a core of its own", "k", "rel", "", None),
    ("rate_d30", "depth 30: samples/s (wall, back to back)", "k", "rel", "", None),
    ("cpu_us_d30", "  CPU µs per sample", "f2", "rel", "≤6.25 (3.11+), ≤20",
     lambda v, mm: v <= (6.25 if mm >= (3, 11) else 20.0)),
    ("core_rate_d30", "  samples/s with a core of its own", "k", "rel", "≥160k (3.11+), ≥50k",
     lambda v, mm: v >= (160000 if mm >= (3, 11) else 50000)),
    ("rate_d100", "depth 100: samples/s (wall, back to back)", "k", "rel", "", None),
    ("cpu_us_d100", "  CPU µs per sample", "f2", "rel", "", None),
    ("core_rate_d100", "  samples/s with a core of its own", "k", "rel", "", None),
    ("failed_pct_d30", "  failed stacks at depth 30 [%]", "f2", "abs", "", None),
    ("delivered_hz_1k", "requested 1 kHz: achieved [Hz]", "f0", "rel", "", None),
    ("missed_pct_1k", "  missed [%]", "f2", "abs", "0", lambda v, mm: v <= 0.0),
    ("delivered_hz_10k", "requested 10 kHz: achieved [Hz]", "f0", "rel", "", None),
    ("missed_pct_10k", "  missed [%]", "f2", "abs", "0", lambda v, mm: v <= 0.0),
    ("thread_rate_t1", "1 thread: samples/s per thread (wall)", "k", "rel", "", None),
    ("cpu_us_thread_sample_t1", "  CPU µs per thread-sample", "f2", "rel", "", None),
    ("thread_rate_t10", "10 threads: samples/s per thread (wall)", "k", "rel", "", None),
    ("cpu_us_thread_sample_t10", "  CPU µs per thread-sample", "f2", "rel", "", None),
    ("thread_rate_t100", "100 threads: samples/s per thread (wall)", "k", "rel", "", None),
    ("cpu_us_thread_sample_t100", "  CPU µs per thread-sample", "f2", "rel", "", None),
    ("failed_pct_tiny", "call loop n = tiny(n), 1 kHz: failed stacks [%]", "f2", "abs", "≤0.5",
     lambda v, mm: v <= 0.5),
    ("failed_pct_rec40", "recursion 40 deep in a loop: failed stacks [%]", "f2", "abs", "≤0.5",
     lambda v, mm: v <= 0.5),
    ("garbage_pct_rec40", "  samples that are no real stack [%]", "f2", "abs", "0",
     lambda v, mm: v <= 0.0),
    ("deep_ratio_rec40", "  --cpu: samples per level at levels 33-39 / at levels 11-30", "f2", "abs", "1",
     None),
    ("failed_pct_gentree", "tree walked by recursive generators: failed stacks [%]", "f2", "abs",
     "≤0.5", lambda v, mm: v <= 0.5),
    ("failed_pct_leaf", "short leaf in a loop: failed stacks [%]", "f2", "abs", "≤0.5",
     lambda v, mm: v <= 0.5),
    ("leaf_share_pct", "  share of the leaf, sampled [%]", "f1", "abs", "", None),
    ("leaf_truth_pct", "  share of the leaf, counted in-process [%]", "f1", "abs", "", None),
    ("leaf_share_err", "  sampled - counted [points]", "f1", "abs", "±5",
     lambda v, mm: abs(v) <= 5.0),
    ("busy_rounds_pct_min", "busy machine, 4 threads, 1 kHz: rounds with a sample, worst thread [%]",
     "f2", "abs", "≥99", lambda v, mm: v >= 99.0),
    ("busy_rounds_pct_mean", "  on average [%]", "f2", "abs", "≥99", lambda v, mm: v >= 99.0),
    ("work_s", "slowdown in wall time: unprofiled [s]", "f3", "rel", "", None),
    ("slowdown_pct_100hz", "  proftui 100 Hz [%]", "f1", "abs", "", None),
    ("slowdown_pct_1khz", "  proftui 1 kHz [%]", "f1", "abs", "≤1", lambda v, mm: v <= 1.0),
    ("slowdown_pct_10khz", "  proftui 10 kHz [%]", "f1", "abs", "≤3", lambda v, mm: v <= 3.0),
    ("slowdown_pct_cprofile", "  cProfile [%]", "f0", "abs", "", None),
    ("work_cpu_s", "slowdown in CPU time: unprofiled [s]", "f3", "rel", "", None),
    ("slowdown_cpu_pct_100hz", "  proftui 100 Hz [%]", "f1", "abs", "", None),
    ("slowdown_cpu_pct_1khz", "  proftui 1 kHz [%]", "f1", "abs", "≤1", lambda v, mm: v <= 1.0),
    ("slowdown_cpu_pct_10khz", "  proftui 10 kHz [%]", "f1", "abs", "≤3", lambda v, mm: v <= 3.0),
    ("slowdown_cpu_pct_cprofile", "  cProfile [%]", "f0", "abs", "", None),
    ("cpu_pct_100hz", "proftui CPU at 100 Hz [% of a core]", "f2", "abs", "≤1",
     lambda v, mm: v <= 1.0),
    ("cpu_pct_1khz", "proftui CPU at 1 kHz [% of a core]", "f2", "abs", "", None),
    ("missed_pct_wide_headless", "10 kHz, 10,000 functions: missed, headless beside a view [%]", "f2", "abs",
     "", None),
    ("missed_pct_wide_top", "  live view, top [%]", "f2", "abs", "", None),
    ("missed_pct_wide_tree", "  live view, call tree [%]", "f2", "abs", "", None),
    ("missed_pct_wide_flame", "  live view, flame graph [%]", "f2", "abs", "", None),
    ("missed_diff_wide_top", "  top − headless beside it [points]", "f2", "abs", "≤ 0", None),
    ("missed_diff_wide_tree", "  call tree − headless beside it [points]", "f2", "abs", "≤ 0", None),
    ("missed_diff_wide_flame", "  flame graph − headless beside it [points]", "f2", "abs", "≤ 0", None),
    ("ui_cpu_pct_wide", "  the live view's CPU beyond headless [% of a core]", "f2", "abs", "", None),
    ("stacks_wide", "  distinct stacks (headless)", "f0", "none", "", None),
    ("peak_rss_mb", "peak RSS [MB]", "f1", "none", "≤30", lambda v, mm: v <= 30.0),
    ("mem_samples", "  after samples", "k", "none", "", None),
    ("mem_distinct_stacks", "  distinct stacks", "f0", "none", "", None),
]
# --native's cost (bench/native_cost.py: native_slowdown, native_cpu)
METRICS += [(key, label, style, spread, goal, (lambda v, mm, c=check: c(v)) if check else None)
            for key, label, style, spread, goal, check in native_cost.METRICS]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def interpreters(quick: bool, wanted: List[str]) -> List[Tuple[str, str, tuple]]:
    """(id, path, version) of /usr/bin/python3, every pyenv CPython >= 3.8
    and Debian's 3.14/3.15 (test/pythons/debian.py; each one missing is
    logged with the reason), or of the `wanted` paths."""
    debs = debian.debian_pythons()
    if not wanted and not quick:
        for d in debs:
            if not d.path:
                log(f"bench: no {d.id}: {d.reason}")
    ids = {d.path: d.id for d in debs if d.path}
    paths = wanted or ["/usr/bin/python3"] + sorted(
        glob.glob(os.path.join(os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv")),
                               "versions", "*", "bin", "python3"))) + list(ids)
    found = []
    for path in paths:
        v = python_version(path) if os.access(path, os.X_OK) else None
        if not v or v[:2] < (3, 8):
            continue
        kind = "system" if path == "/usr/bin/python3" else "pyenv"
        found.append((ids.get(os.path.abspath(path)) or f"{kind}-{'.'.join(map(str, v))}", path, v))
    found.sort(key=lambda i: (i[0] != "system-" + ".".join(map(str, i[2])), i[2]))
    return found[:1] if quick else found


def summarize(values: List[float]) -> Dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values), "values": values}


# ------------------------------------------------------------ micro-benchmarks

def _run_capture(argv: List[str], timeout: float = 300) -> str:
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=timeout, check=True).stdout


def maxrss_helper(build: Path, tmp: Path) -> str:
    """bench/maxrss as meson built it, or compiled here."""
    built = build / "bench" / "maxrss"
    if built.exists():
        return str(built)
    exe = tmp / "maxrss"
    _run_capture([os.environ.get("CC", "cc"), "-O2", str(REPO / "bench" / "maxrss.c"), "-o", str(exe)])
    return str(exe)


def _bench_binary(build: Path, name: str, tmp: Path) -> Tuple[Optional[str], str]:
    """The micro-benchmark as meson built it (bench/meson.build), or else
    compiled here against the build's core library; (path, note)."""
    built = build / "bench" / name
    if built.exists():
        return str(built), "meson build"
    src = REPO / "bench" / f"{name}.c"
    if not src.exists():
        return None, f"bench/{name}.c does not exist"
    core = build / "libproftui_core.a"
    if not core.exists():
        return None, f"not built, and {core} is missing"
    libs = _run_capture(["pkg-config", "--libs", "ncursesw", "libelf", "zlib"]).split()
    exe = tmp / name
    _run_capture([os.environ.get("CC", "cc"), "-O2", "-std=c11", "-D_GNU_SOURCE",
                  "-I", str(REPO / "include"), str(src), str(REPO / "bench" / "benchlib.c"),
                  str(core), "-o", str(exe)]
                 + libs + ["-pthread", "-lm"])
    return str(exe), "compiled by bench/run.py (bench/meson.build is not in the build)"


# Micro-benchmark figures with a goal in the issue: label -> ceiling in ms.
MICRO_GOALS = {"top view, redraw, all phases (mean)": 2.0}
for _fmt in ("collapsed", "speedscope", "pprof", "pstats", "svg"):     # issue 11's goals
    MICRO_GOALS[f"write {_fmt:<10} (1,000,000 samples, 10,000 stacks)"] = 500.0
    MICRO_GOALS[f"open {_fmt:<10} (best of 3, CPU)"] = 1000.0

NUMBER_RE = re.compile(r"([\d.]+)\s*(ms|µs|us|ns/frame|samples/s)")


def micro(build: Path, runs: int) -> Dict[str, object]:
    """table_bench, ui_bench, export_bench and open_bench: each output line 'label: ... N unit' becomes
    a figure (the last number with a unit on the line), median over runs."""
    out: Dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("table_bench", "ui_bench", "export_bench", "open_bench"):
            try:
                exe, note = _bench_binary(build, name, Path(tmp))
            except (subprocess.SubprocessError, OSError) as e:
                exe, note = None, f"could not be compiled: {e}"
            entry: Dict[str, object] = {"note": note}
            out[name] = entry
            if not exe:
                continue
            figures: Dict[str, List[float]] = {}
            units: Dict[str, str] = {}
            try:
                for _ in range(runs):
                    for line in _run_capture([exe]).splitlines():
                        label, _, rest = line.partition(":")
                        found = NUMBER_RE.findall(rest)
                        if label and found:
                            value, unit = found[-1]
                            figures.setdefault(label.strip(), []).append(float(value))
                            units[label.strip()] = unit
            except (subprocess.SubprocessError, OSError) as e:
                entry["error"] = str(e)
            entry["figures"] = {k: dict(summarize(v), unit=units[k]) for k, v in figures.items()}
    return out


# ------------------------------------------------------------------- output

def fmt_value(v: float, style: str) -> str:
    if style == "k":
        return f"{v / 1000:.1f}k" if abs(v) >= 1000 else f"{v:.0f}"
    return f"{v:.{int(style[1:])}f}"


def fmt_cell(s: Dict[str, float], style: str, spread: str) -> str:
    text = fmt_value(s["median"], style)
    if s["n"] > 1 and spread == "rel" and s["median"]:
        text += f" ±{50.0 * (s['max'] - s['min']) / abs(s['median']):.0f}%"
    elif s["n"] > 1 and spread == "abs":
        text += f" [{fmt_value(s['min'], style)}…{fmt_value(s['max'], style)}]"
    return text


def print_rows(rows: List[List[str]], interps: Dict[str, dict], ids: List[str]) -> None:
    """A table (the first row the titles: left-aligned first column, the
    others right-aligned), then the interpreters' errors."""
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for n, r in enumerate(rows):
        print("  ".join(c.ljust(w) if k == 0 else c.rjust(w)
                        for k, (c, w) in enumerate(zip(r, widths))).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    for i in ids:
        for name, err in interps[i]["errors"].items():
            print(f"error: {i} {name}: {err}")


def print_table(results: Dict[str, object]) -> None:
    interps = results["interpreters"]
    ids = list(interps)
    rows = [["measurement"] + ids + ["goal"]]
    rows.append(["machine busy during the runs [%]"]
                + [f"{interps[i]['machine_busy_pct']:.0f}" for i in ids] + [""])
    for key, label, style, spread, goal, check in METRICS:
        if not any(interps[i]["figures"].get(key) for i in ids):
            continue            # not measured this time (--only)
        row = [label]
        for i in ids:
            s = interps[i]["figures"].get(key)
            if not s:
                row.append("—")
                continue
            cell = fmt_cell(s, style, spread)
            mm = tuple(interps[i]["version"][:2])
            if check and not check(s["median"], mm):
                cell += " !"
            row.append(cell)
        rows.append(row + [goal])
    print_rows(rows, interps, ids)
    print()
    for name, entry in results["micro"].items():
        figs = entry.get("figures")
        if not figs:
            print(f"{name}: {entry.get('error') or entry['note']}")
            continue
        for label, s in figs.items():
            goal = MICRO_GOALS.get(label)
            mark = "" if goal is None else f" (goal ≤{goal:g}{'' if s['median'] <= goal else ' !'})"
            print(f"{name}: {label}: {fmt_cell(s, 'f3', 'rel')} {s['unit']}{mark}")
    m = results["machine"]
    print(f"\nmachine: {m['cpu']}, {m['cores']} cores, Linux {m['kernel']}; load average "
          f"{m['load_before']} before, {m['load_after']} after; "
          f"{results['settings']['runs']} runs per figure, median ± half the range "
          f"(or [min…max]); '!' misses the goal")


def cpu_ticks() -> Tuple[int, int]:
    """(busy, total) jiffies of the whole machine from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields) - idle, sum(fields)


def busy_pct(before: Tuple[int, int], after: Tuple[int, int]) -> float:
    total = after[1] - before[1]
    return round(100.0 * (after[0] - before[0]) / total, 1) if total > 0 else 0.0


def machine_info() -> Dict[str, object]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def git_commit() -> str:
    try:
        head = _run_capture(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]).strip()
        dirty = _run_capture(["git", "-C", str(REPO), "--no-optional-locks", "status",
                              "--porcelain", "--untracked-files=no"]).strip()
        return head + ("+changes" if dirty else "")
    except (subprocess.SubprocessError, OSError):
        return "unknown"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="one interpreter (the system python3), fewer and shorter runs")
    ap.add_argument("--python", action="append", default=[],
                    help="benchmark this interpreter (repeatable; default: all >= 3.8)")
    ap.add_argument("--proftui", default=str(REPO / "build" / "proftui"))
    ap.add_argument("--build", default=str(REPO / "build"), help="meson build directory")
    ap.add_argument("--runs", type=int, help="repetitions per figure (default 5, quick 3)")
    ap.add_argument("--json", default=str(REPO / "bench" / "results" / "latest.json"))
    ap.add_argument("--only", action="append", default=[],
                    choices=[fn.__name__ for fn in measure.MEASUREMENTS],
                    help="run only this measurement (repeatable; default: all)")
    args = ap.parse_args()
    if not os.access(args.proftui, os.X_OK):
        log(f"bench: {args.proftui} is not built (./dev bench builds it)")
        return 1
    runs = args.runs or (3 if args.quick else 5)
    tmp = tempfile.TemporaryDirectory(prefix="proftui-bench-tools-")
    settings = measure.Settings(runs=runs, seconds=1.0 if args.quick else 2.0,
                                work_seconds=0.3 if args.quick else 0.5,
                                mem_samples=1_000_000,
                                maxrss=maxrss_helper(Path(args.build), Path(tmp.name)))
    results: Dict[str, object] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": git_commit(), "machine": machine_info(), "proftui": args.proftui,
        "settings": vars(settings), "interpreters": {}}
    todo = interpreters(args.quick, args.python)
    if not todo:
        log("bench: no CPython >= 3.8 found")
        return 1
    for ident, path, version in todo:
        log(f"{ident} ({path})")
        t0, ticks = time.monotonic(), cpu_ticks()
        got = measure.all_for(path, args.proftui, settings, log, args.only)
        results["interpreters"][ident] = {
            "path": path, "version": list(version), "errors": got["errors"],
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "machine_busy_pct": busy_pct(ticks, cpu_ticks()),
            "seconds": round(time.monotonic() - t0, 1),
            "figures": {k: summarize(v) for k, v in got["runs"].items()}}
    results["micro"] = {}
    if not args.only:
        log("micro-benchmarks")
        results["micro"] = micro(Path(args.build), 1 if args.quick else 3)
    results["machine"]["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print_table(results)
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
