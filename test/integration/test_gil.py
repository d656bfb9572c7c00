# SPDX-License-Identifier: MIT
"""Thread state read from the interpreter (issue 12), on every interpreter,
through repeated --dump --json of workloads/gil.py: at most one thread holds
the GIL in any dump; over many dumps the two pure-Python spinners hold it in
most, the sleeping MainThread never, the hasher (hashlib lets the GIL go)
rarely; a spinner is seen waiting for the GIL (3.15+: the interpreter's
flag; before: the thread asleep on the GIL's lock); a thread that
collects cyclic garbage in a loop is seen in GC, holding the GIL, and the
other thread never is. Counts over many dumps, no timing.

A dump reads the threads' stacks and states at once, then only watches
their CPU time for 0.2 s, asleep (src/dump.c, find_active): the dumps run
a few at a time, started STAGGER apart, so each still reads the states at
its own moment, STAGGER after the one before."""

import collections
import json
import re
import subprocess
import time

from harness import WORKLOADS, Result, kill_group, marker_line, read_line, run

WORKLOAD = WORKLOADS / "gil.py"
DUMPS = 24            # dumps of the threads workload
GC_DUMPS_MAX = 60     # dumps of the gc workload until it is seen in GC enough
GC_SEEN = 3
SETTLE_DUMPS = 50     # dumps until MainThread is seen asleep
IN_FLIGHT = 4         # dumps running at once
STAGGER = 0.05        # seconds between the starts of two dumps
DUMP_TIMEOUT = 60.0


def start(spawn, interp, mode):
    proc = spawn([interp.path, WORKLOAD, mode], stdout=subprocess.PIPE)
    line = read_line(proc, 60, "the gil workload's ready line")
    m = re.fullmatch(r"ready (\d+) (.*)", line)
    assert m and int(m[1]) == proc.pid, line
    return proc, {tid: name for name, tid in json.loads(m[2]).items()}


def finish(proc: subprocess.Popen, args) -> Result:
    """Wait for a dump started by dumps(); kill it (and fail) after
    DUMP_TIMEOUT."""
    start = time.monotonic()
    try:
        out, err = proc.communicate(timeout=DUMP_TIMEOUT)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
        raise AssertionError(f"timed out after {DUMP_TIMEOUT}s: {' '.join(args)}\n{err}")
    return Result(args, proc.returncode, out, err, time.monotonic() - start)


def dumps(proftui, pid, names, most):
    """Up to `most` dumps of pid ({thread name: its JSON object}, checked
    as dump_threads() does), in the order they were started; at most
    IN_FLIGHT run at once, started at least STAGGER apart. The ones still
    running when the caller stops are killed."""
    args = [str(a) for a in (proftui, "--dump", "--json", "-p", pid)]
    running = collections.deque()
    started, next_start = 0, time.monotonic()
    try:
        while started < most or running:
            now = time.monotonic()
            if started < most and len(running) < IN_FLIGHT and now >= next_start:
                running.append(subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                                start_new_session=True,
                                                universal_newlines=True, errors="replace"))
                started, next_start = started + 1, now + STAGGER
            elif running and (running[0].poll() is not None or started >= most
                              or len(running) >= IN_FLIGHT):
                yield dump_threads(finish(running.popleft(), args), names)
            else:
                time.sleep(min(0.005, max(0.0, next_start - now)))
    finally:
        for proc in running:
            kill_group(proc)
            proc.communicate()


def dump_threads(res: Result, names):
    """{thread name: its JSON object} of a --dump --json, after checking
    what holds in any dump."""
    assert res.returncode == 0 and not res.stderr, res.describe()
    threads = json.loads(res.stdout)["threads"]
    assert sorted(t["tid"] for t in threads) == sorted(names), threads
    for t in threads:
        for key in ("gil", "gil_wait", "gc"):
            assert t[key] in (True, False, None), t
        assert not (t["gil"] and t["gil_wait"]), f"holds and waits for the GIL: {t}"
        assert not t["gc"] or t["gil"], f"in GC without the GIL: {t}"
    assert sum(bool(t["gil"]) for t in threads) <= 1, f"two GIL holders: {threads}"
    return {names[t["tid"]]: t for t in threads}


def asleep(threads) -> bool:
    """MainThread is inside its time.sleep(): at that line without the GIL
    (before the call it holds it; after printing "ready" it may still be
    taking it back, which is a real wait on 3.15). It stays there."""
    main = threads["MainThread"]
    frames = main.get("frames") or []
    return bool(frames and frames[0]["line"] == marker_line(WORKLOAD, "SLEEP-LINE")
                and main["gil"] is False and not main["gil_wait"])


def gil_counts(proftui, proc, names):
    """{name: dumps holding the GIL}, {name: dumps waiting for it} over
    DUMPS dumps, counted from the first that sees MainThread asleep."""
    held = dict.fromkeys(names.values(), 0)
    waited = dict.fromkeys(names.values(), 0)
    settled, counted, main = False, 0, None
    for threads in dumps(proftui, proc.pid, names, SETTLE_DUMPS + DUMPS):
        if not settled:
            settled, main = asleep(threads), threads["MainThread"]
            continue
        counted += 1
        for name, t in threads.items():
            # every supported interpreter has a readable GIL and collector
            assert t["gil"] is not None and t["gc"] is not None, t
            # waiting is known: the interpreter's flag (3.15+), else the
            # thread asleep on the GIL's lock
            assert t["gil_wait"] is not None, t
            held[name] += t["gil"]
            waited[name] += bool(t["gil_wait"])
        if counted == DUMPS:
            break
    assert settled, f"MainThread never seen asleep in {SETTLE_DUMPS} dumps: {main}"
    assert counted == DUMPS, f"only {counted} dumps after MainThread was seen asleep"
    return held, waited


def test_gil_holder_and_waiters(proftui, spawn, interp):
    """One spinner holds the GIL in most dumps, never MainThread (asleep);
    the other spinner waits for it in a good share of them. Before 3.15
    waiting is being asleep on the GIL's lock: a spinner woken for it but
    kept off a CPU by a busy machine (4 dumps run at once on 2 cores, and
    CI's other work) is not asleep, so on a miss a second, independent
    batch of dumps is taken with the same bound (one CI run saw 3 of 24,
    7 needed); a method that never sees the wait misses both."""
    proc, names = start(spawn, interp, "threads")
    misses = []
    for attempt in range(2):
        held, waited = gil_counts(proftui, proc, names)
        spinners = held["spinner-1"] + held["spinner-2"]
        summary = f"held {held}, waited {waited} in {DUMPS} dumps"
        assert spinners * 2 > DUMPS, summary
        assert held["MainThread"] == 0 and waited["MainThread"] == 0, summary
        assert held["hasher"] * 4 <= spinners, summary
        if (waited["spinner-1"] + waited["spinner-2"]) * 4 > DUMPS:
            break
        misses.append(summary)
    assert len(misses) < 2, "\n".join(misses)
    # the text form says the same on its thread lines
    res = run([proftui, "--dump", "-p", proc.pid], timeout=60)
    lines = [ln for ln in res.stdout.split("\n") if ln.startswith("Thread ")]
    assert len(lines) == len(names), res.stdout
    for ln in lines:
        assert re.fullmatch(r'Thread \d+ \((active|idle)(, holds GIL|, waits for GIL)?\): ".*"', ln), ln
    assert sum(", holds GIL" in ln for ln in lines) <= 1, lines


def test_gc_running(proftui, spawn, interp):
    proc, names = start(spawn, interp, "gc")
    seen = {"MainThread": 0, "spinner": 0}
    count = 0
    for threads in dumps(proftui, proc.pid, names, GC_DUMPS_MAX):
        count += 1
        for name, t in threads.items():
            assert t["gc"] is not None, t
            seen[name] += t["gc"]
        if seen["MainThread"] >= GC_SEEN:
            break
    assert seen["MainThread"] >= GC_SEEN, f"in GC {seen} in {count} dumps"
    assert seen["spinner"] == 0, f"the spinner was seen in GC: {seen} in {count} dumps"
