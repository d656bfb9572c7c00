# SPDX-License-Identifier: MIT
"""Thread state read from the interpreter (issue 12), on every interpreter,
through repeated --dump --json of workloads/gil.py: at most one thread holds
the GIL in any dump; over many dumps the two pure-Python spinners hold it in
most, the sleeping MainThread never, the hasher (hashlib lets the GIL go)
rarely; a spinner is seen waiting for the GIL where the interpreter says so
(3.15+), and waiting is unknown (null) where it does not; a thread that
collects cyclic garbage in a loop is seen in GC, holding the GIL, and the
other thread never is. Counts over many dumps, no timing."""

import json
import re
import subprocess

from harness import WORKLOADS, marker_line, read_line, run, wait_for

WORKLOAD = WORKLOADS / "gil.py"
DUMPS = 24            # dumps of the threads workload
GC_DUMPS_MAX = 60     # dumps of the gc workload until it is seen in GC enough
GC_SEEN = 3


def start(spawn, interp, mode):
    proc = spawn([interp.path, WORKLOAD, mode], stdout=subprocess.PIPE)
    line = read_line(proc, 60, "the gil workload's ready line")
    m = re.fullmatch(r"ready (\d+) (.*)", line)
    assert m and int(m[1]) == proc.pid, line
    return proc, {tid: name for name, tid in json.loads(m[2]).items()}


def dump(proftui, pid, names):
    """{thread name: its JSON object} of one dump."""
    res = run([proftui, "--dump", "--json", "-p", pid], timeout=60)
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


def settle(proftui, pid, names):
    """Dump until MainThread is inside its time.sleep(): at that line
    without the GIL (before the call it holds it; after printing "ready" it
    may still be taking it back, which is a real wait on 3.15)."""
    line = marker_line(WORKLOAD, "SLEEP-LINE")
    for _ in range(50):
        main = dump(proftui, pid, names)["MainThread"]
        frames = main.get("frames") or []
        if frames and frames[0]["line"] == line and main["gil"] is False and not main["gil_wait"]:
            return
    raise AssertionError(f"MainThread never seen asleep at line {line}: {main}")


def test_gil_holder_and_waiters(proftui, spawn, interp):
    proc, names = start(spawn, interp, "threads")
    settle(proftui, proc.pid, names)
    held = dict.fromkeys(names.values(), 0)
    waited = dict.fromkeys(names.values(), 0)
    for _ in range(DUMPS):
        threads = dump(proftui, proc.pid, names)
        for name, t in threads.items():
            # every supported interpreter has a readable GIL and collector
            assert t["gil"] is not None and t["gc"] is not None, t
            # waiting is known exactly where the interpreter records it
            assert (t["gil_wait"] is None) == (interp.minor < (3, 15)), t
            held[name] += t["gil"]
            waited[name] += bool(t["gil_wait"])
    spinners = held["spinner-1"] + held["spinner-2"]
    summary = f"held {held}, waited {waited} in {DUMPS} dumps"
    assert spinners * 2 > DUMPS, summary
    assert held["MainThread"] == 0 and waited["MainThread"] == 0, summary
    assert held["hasher"] * 4 <= spinners, summary
    if interp.minor >= (3, 15):
        assert (waited["spinner-1"] + waited["spinner-2"]) * 4 > DUMPS, summary
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
    dumps = 0

    def enough():
        nonlocal dumps
        dumps += 1
        for name, t in dump(proftui, proc.pid, names).items():
            assert t["gc"] is not None, t
            seen[name] += t["gc"]
        assert dumps < GC_DUMPS_MAX, f"in GC {seen} in {dumps} dumps"
        return seen["MainThread"] >= GC_SEEN

    wait_for(enough, 600, "MainThread to be seen in GC", interval=0)
    assert seen["spinner"] == 0, f"the spinner was seen in GC: {seen} in {dumps} dumps"
