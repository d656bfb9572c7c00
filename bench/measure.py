# SPDX-License-Identifier: MIT
"""The measurements of bench/run.py, one function each. Every function
takes the interpreter, the proftui binary and the run settings and returns
{name: [one value per run]}; run.py turns those into medians and spreads."""

import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Dict, List

from native_cost import native_cpu, native_slowdown
from procs import BenchError, Target, proftui_attached, proftui_run

Runs = Dict[str, List[float]]


@dataclass
class Settings:
    runs: int           # repetitions of each measurement
    seconds: float      # length of one sampling run
    work_seconds: float  # length of one slowdown work run
    mem_samples: int    # samples to take for the memory measurement
    maxrss: str         # the bench/maxrss helper


def _check_depth(prof, want: int) -> None:
    """The target really had the stack depth the figure is labelled with."""
    hist = prof.depth_histogram()
    if not hist:
        raise BenchError("no stacks recorded")
    seen = max(hist, key=hist.get)
    if seen != want:
        raise BenchError(f"expected stacks of depth {want}, most samples had {seen}")


SHORT_RUN = 0.3     # seconds: the run whose cost is subtracted (attach, output)


def _back_to_back(proftui: str, pid: int, seconds: float):
    """Sample back to back (-i 1us) for `seconds`, and for SHORT_RUN: the
    long run's profile and proftui's CPU seconds per round and per stack
    beyond the short run's (the cost of attaching and of writing the
    profile cancels out, and so does the machine's load: CPU time is
    counted only while proftui runs)."""
    a = proftui_run(proftui, ["-p", pid, "-i", "1us", "-d", f"{SHORT_RUN}s"])
    b = proftui_run(proftui, ["-p", pid, "-i", "1us", "-d", f"{seconds}s"])
    cpu = b.cpu_s - a.cpu_s
    rounds, stacks = b.rounds - a.rounds, b.num("recorded") - a.num("recorded")
    if rounds <= 0 or stacks <= 0 or cpu <= 0:
        raise BenchError("the long run did not take more samples than the short one")
    return b, cpu / rounds, cpu / stacks


def max_rate(py: str, proftui: str, s: Settings, depths=(10, 30, 100)) -> Runs:
    """One busy thread at each depth, sampled back to back: samples per
    wall second as measured, and proftui's CPU time per sample, which gives
    the rate proftui reaches when it has a core to itself."""
    out: Runs = {}
    for depth in depths:
        with Target(py, "deep.py", [depth, 1]) as t:
            for _ in range(s.runs):
                prof, per_round, _ = _back_to_back(proftui, t.pid, s.seconds)
                _check_depth(prof, depth)
                out.setdefault(f"rate_d{depth}", []).append(prof.rounds / prof.duration)
                out.setdefault(f"cpu_us_d{depth}", []).append(1e6 * per_round)
                out.setdefault(f"core_rate_d{depth}", []).append(1.0 / per_round)
                out.setdefault(f"failed_pct_d{depth}", []).append(
                    100.0 * prof.num("failed") / max(1.0, prof.rounds))
    return out


def delivery(py: str, proftui: str, s: Settings) -> Runs:
    """Requested 1 kHz and 10 kHz on a busy depth-30 thread: achieved rate
    and the share of requested samples that were skipped."""
    out: Runs = {}
    with Target(py, "deep.py", [30, 1]) as t:
        for _ in range(s.runs):
            for label, interval in (("1k", "1ms"), ("10k", "100us")):
                prof = proftui_run(proftui, ["-p", t.pid, "-i", interval, "-d", f"{s.seconds}s"])
                missed = prof.num("missed")
                out.setdefault(f"delivered_hz_{label}", []).append(prof.rounds / prof.duration)
                out.setdefault(f"missed_pct_{label}", []).append(
                    100.0 * missed / max(1.0, missed + prof.rounds))
    return out


def threads(py: str, proftui: str, s: Settings, counts=(1, 10, 100)) -> Runs:
    """1, 10 and 100 busy threads at depth 30, sampled back to back: each
    thread's samples per wall second, and proftui's CPU time per
    thread-sample."""
    out: Runs = {}
    for n in counts:
        with Target(py, "deep.py", [30, n]) as t:
            for _ in range(s.runs):
                prof, _, per_stack = _back_to_back(proftui, t.pid, s.seconds)
                _check_depth(prof, 30)
                stacks = prof.num("recorded")
                out.setdefault(f"thread_rate_t{n}", []).append(stacks / n / prof.duration)
                out.setdefault(f"cpu_us_thread_sample_t{n}", []).append(1e6 * per_stack)
    return out


SLOWDOWN_CONDITIONS = [("100hz", "10ms"), ("1khz", "1ms"), ("10khz", "100us"), ("cprofile", None)]


def slowdown(py: str, proftui: str, s: Settings) -> Runs:
    """The same work, timed inside one target process, alone and under each
    condition, in shuffled order; each run's ratio is to the mean of the
    same round's two unprofiled timings. Wall time is what a user waits;
    the work thread's CPU time leaves out waiting for a CPU, which on a
    shared machine is mostly other people's load."""
    out: Runs = {}
    rnd = random.Random(4)
    with Target(py, "work.py", [], ready_line=False, stdin_pipe=True) as t:
        units = int(t.ask(f"calibrate {s.work_seconds}"))
        t.ask(f"work {units}")                       # warm up
        for _ in range(s.runs):
            order = SLOWDOWN_CONDITIONS + [("none", None), ("none", None)]
            rnd.shuffle(order)
            times: Dict[str, List[List[float]]] = {}
            for label, interval in order:
                times.setdefault(label, []).append(_timed_work(t, proftui, units, label, interval))
            for k, kind in ((0, ""), (1, "cpu_")):
                base = statistics.mean(x[k] for x in times["none"])
                for label, _ in SLOWDOWN_CONDITIONS:
                    out.setdefault(f"slowdown_{kind}pct_{label}", []).append(
                        100.0 * (times[label][0][k] / base - 1.0))
                out.setdefault(f"work_{kind}s", []).append(base)
    return out


def _timed_work(t: Target, proftui: str, units: int, label: str, interval) -> List[float]:
    if label == "cprofile":
        return [float(x) for x in t.ask(f"cprofile {units}").split()]
    if interval is None:
        return [float(x) for x in t.ask(f"work {units}").split()]
    p = proftui_attached(proftui, t.pid, interval)
    try:
        took = [float(x) for x in t.ask(f"work {units}").split()]
    finally:
        p.stop()
    prof = p.finish()
    if prof.rounds <= 0:
        raise BenchError(f"proftui at {interval} took no samples during the work")
    return took


def cpu_cost(py: str, proftui: str, s: Settings) -> Runs:
    """proftui's CPU seconds per wall second at 100 Hz and 1 kHz on a busy
    depth-30 thread: the difference between a long and a short run, so the
    cost of attaching and writing the profile cancels out."""
    out: Runs = {}
    short, long_ = 0.5, 0.5 + 2 * s.seconds
    with Target(py, "deep.py", [30, 1]) as t:
        for _ in range(s.runs):
            for label, interval in (("100hz", "10ms"), ("1khz", "1ms")):
                a = proftui_run(proftui, ["-p", t.pid, "-i", interval, "-d", f"{short}s"])
                b = proftui_run(proftui, ["-p", t.pid, "-i", interval, "-d", f"{long_}s"])
                cost = (b.cpu_s - a.cpu_s) / (b.duration - a.duration)
                out.setdefault(f"cpu_pct_{label}", []).append(100.0 * max(0.0, cost))
    return out


def memory(py: str, proftui: str, s: Settings, nthreads: int = 4) -> Runs:
    """Peak RSS of proftui after mem_samples samples of a target with about
    10,000 distinct stacks (4 threads walking a 10^4-leaf call tree),
    writing the profile included."""
    with Target(py, "stacks.py", [nthreads]) as t:
        probe = proftui_run(proftui, ["-p", t.pid, "-i", "1us", "-d", "1s"])
        per_s = probe.num("recorded") / probe.duration
        seconds = min(300.0, 1.15 * s.mem_samples / max(per_s, 1.0))
        for _ in range(3):
            prof = proftui_run(proftui, ["-p", t.pid, "-i", "1us", "-d", f"{seconds:.1f}s"],
                               timeout=seconds + 120, wrapper=[s.maxrss])
            if prof.num("recorded") >= s.mem_samples or seconds >= 300.0:
                break
            seconds = min(300.0, seconds * 1.5 * s.mem_samples / max(prof.num("recorded"), 1.0))
    if not prof.maxrss_kb:
        raise BenchError("bench/maxrss reported no peak memory")
    return {"peak_rss_mb": [prof.maxrss_kb / 1024.0],
            "mem_samples": [prof.num("recorded")],
            "mem_distinct_stacks": [float(len(prof.stacks))]}


TORN_DEPTH = 40


def _share_of(prof, loop: str, leaf: str):
    """(samples with `leaf` on top, samples with `loop` or `leaf` on top)
    among the stacks below `loop`; a sample inside leaf_share's signal
    handler counts for the frame it interrupted."""
    on_leaf = total = 0
    for stack, count in prof.stacks.items():
        names = [f.split(" (")[0] for f in stack.split(";")[2:]]
        if loop not in names:
            continue
        top = names[-2] if names[-1].endswith("count") and len(names) > 1 else names[-1]
        if top == leaf:
            on_leaf += count
        if top in (loop, leaf):
            total += count
    return on_leaf, total


def _garbage(prof, loop: str, frame: str, depth: int) -> int:
    """Samples below `loop` that are not `loop` and at most `depth` `frame`
    frames: [truncated] chains of a loop in the frame chain, or mixes."""
    bad = 0
    for stack, count in prof.stacks.items():
        names = [f.split(" (")[0] for f in stack.split(";")[2:]]
        if loop in names:
            below = names[names.index(loop) + 1:]
            bad += count * (len(below) > depth or any(n != frame for n in below))
    return bad


def _deep_ratio(prof, loop: str, frame: str) -> float:
    """Samples per level with the recursion at levels 33-39 per sample per
    level at levels 11-30 (as test_truth's test_deep_levels_are_sampled_evenly):
    every one of those levels runs the same code, so 1 is the truth; a
    walker that fails or cuts deep stacks more often gives less. Taken from
    a --cpu run: wall-mode samples of a target waiting for a CPU repeat the
    stack it was preempted in, in clumps (README, "3.8-3.10, deep recursion")."""
    levels = {}
    for stack, count in prof.stacks.items():
        names = [f.split(" (")[0] for f in stack.split(";")[2:]]
        if loop in names and names[-1] == frame:
            n = names.count(frame)
            levels[n] = levels.get(n, 0) + count
    mid = sum(levels.get(n, 0) for n in range(11, 31)) / 20
    return sum(levels.get(n, 0) for n in range(33, 40)) / 7 / max(1e-9, mid)


def torn(py: str, proftui: str, s: Settings) -> Runs:
    """Call-heavy code at 1 kHz (bench/targets/calls.py), whose stack changes
    many times while one sample is read: failed stacks in a call loop, in
    a recursion TORN_DEPTH deep called in a loop and in a tree walked by
    recursive generators, as a share of the stacks
    in that loop (and of the failed ones), samples of the recursion that are
    not a real stack of it, how its deep levels are sampled against its
    middle ones (in a --cpu run of its own); and the sampled share of a short leaf function against
    the process's own count of it."""
    out: Runs = {}
    with Target(py, "calls.py", [], ready_line=False, stdin_pipe=True) as t:
        for _ in range(s.runs):
            for label, command, loop, leaf in (
                    ("tiny", "tiny {s}", "tiny_loop", "tiny"),
                    ("rec40", "rec {s} %d" % TORN_DEPTH, "rec_loop", "rec"),
                    ("rec40cpu", "rec {s} %d" % TORN_DEPTH, "rec_loop", "rec"),
                    ("gentree", "gentree {s}", "gen_tree_loop", "pre_order"),
                    ("leaf", "leaf {s}", "leaf_loop", "leaf")):
                p = proftui_attached(proftui, t.pid, "1ms",
                                     ["--cpu"] if label.endswith("cpu") else [])
                try:
                    answer = t.ask(command.format(s=s.seconds), timeout=60 + 10 * s.seconds)
                finally:
                    p.stop()
                prof = p.finish()
                if label == "rec40cpu":
                    out.setdefault("deep_ratio_rec40", []).append(_deep_ratio(prof, loop, leaf))
                    continue
                in_loop = sum(c for st, c in prof.stacks.items() if f";{loop} (" in st)
                failed = prof.num("failed")
                out.setdefault(f"failed_pct_{label}", []).append(
                    100.0 * failed / max(1.0, in_loop + failed))
                if label == "rec40":
                    out.setdefault("garbage_pct_rec40", []).append(
                        100.0 * _garbage(prof, loop, leaf, TORN_DEPTH) / max(1.0, in_loop))
                if label == "leaf":
                    on_leaf, total = _share_of(prof, loop, leaf)
                    truth = float(answer.split()[0])
                    share = on_leaf / max(1, total)
                    out.setdefault("leaf_share_pct", []).append(100.0 * share)
                    out.setdefault("leaf_truth_pct", []).append(100.0 * truth)
                    out.setdefault("leaf_share_err", []).append(100.0 * (share - truth))
    return out


def live_10k(py: str, proftui: str, s: Settings) -> Runs:
    """10 kHz on a 10,000-function target, headless and in the live view
    (top, call tree, flame graph), each beside a headless run: the share of rounds missed (bench/live.py)."""
    import live   # noqa: E402 (needs pyte, as the UI tests)
    return live.live_10k(py, proftui, min(s.runs, 3), max(5.0, 2.5 * s.seconds))


BUSY_THREADS = 4


def _busy_loops(n: int) -> List[subprocess.Popen]:
    """n processes that each keep one core busy until killed."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            for _ in range(n)]


def busy(py: str, proftui: str, s: Settings) -> Runs:
    """A busy machine: one busy loop per core, and BUSY_THREADS busy threads
    at depth 10 (bench/targets/deep.py) sampled at 1 kHz: the share of the
    sampling deadlines (1 ms each, missed rounds included) in which each
    thread got a sample (failed stacks count: they are samples of
    [unreadable]), the thread with the fewest and on average."""
    out: Runs = {}
    with Target(py, "deep.py", [10, BUSY_THREADS]) as t:
        loops = _busy_loops(os.cpu_count() or 1)
        try:
            for _ in range(s.runs):
                prof = proftui_run(proftui, ["-p", t.pid, "-i", "1ms", "-d", f"{s.seconds}s"])
                per_thread: Dict[str, int] = {}
                for stack, count in prof.stacks.items():
                    tid = stack.split(";")[1].split(" ")[0]
                    per_thread[tid] = per_thread.get(tid, 0) + count
                deadlines = prof.duration / 1e-3
                if len(per_thread) != BUSY_THREADS or deadlines <= 0:
                    raise BenchError(f"{len(per_thread)} threads sampled, {BUSY_THREADS} expected")
                shares = [100.0 * n / deadlines for n in per_thread.values()]
                out.setdefault("busy_rounds_pct_min", []).append(min(shares))
                out.setdefault("busy_rounds_pct_mean", []).append(statistics.mean(shares))
        finally:
            for p in loops:
                p.kill()
                p.wait()
    return out


MEASUREMENTS = (max_rate, delivery, threads, torn, busy, slowdown, cpu_cost, memory, live_10k,
                native_slowdown, native_cpu)


def all_for(py: str, proftui: str, s: Settings, log, only=None) -> Dict[str, object]:
    """Every per-interpreter measurement (or those named in only); a failing
    one is recorded as an error and the others still run."""
    results: Runs = {}
    errors: Dict[str, str] = {}
    for fn in MEASUREMENTS:
        if only and fn.__name__ not in only:
            continue
        t0 = time.monotonic()
        try:
            results.update(fn(py, proftui, s))
        except BenchError as e:
            errors[fn.__name__] = str(e)
        log(f"  {fn.__name__}: {time.monotonic() - t0:.1f} s"
            + (f" (error: {errors[fn.__name__]})" if fn.__name__ in errors else ""))
    return {"runs": results, "errors": errors}
