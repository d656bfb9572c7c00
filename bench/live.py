# SPDX-License-Identifier: MIT
"""The live view at 10 kHz (issue 9's goal: "at 10 kHz on a profile of
10,000 functions, the live view misses no more rounds than a headless run
of the same target"): proftui attached to bench/targets/wide.py (about
10,000 functions, hundreds of thousands of distinct stacks after a few
seconds) at -r 10000 for SECONDS in the live view in a pseudo-terminal, on
each of the top, call tree and flame graph views, and a headless proftui
(-o) attached to the same target at the same time for as long: the share
of rounds missed, from the live view's header (Samples, Missed) once
sampling stopped and from the profile's '# missed' line.

The two run side by side because on a shared machine the rounds missed
follow the machine's moments more than anything (a 5 s run missed 0.3 %
or 40 %, headless as much as live, one run after another): side by side
they share the moment, and the figure is the difference of the pair. What
the pair cannot show is CPU the view takes from both samplers alike; that
is the live proftui's CPU time beyond the headless one's, reported too.

The live view runs on a real pty read through the terminal emulator the
UI tests use (test/integration/uidriver.py, pyte)."""

import os
import re
import sys
import time
from pathlib import Path
from typing import Callable, List, Tuple

from procs import BenchError, Proftui, Target

REPO = Path(__file__).resolve().parents[1]
VIEWS = (("top", "t"), ("tree", "c"), ("flame", "f"))
COLS, LINES = 160, 50


def _count(text: str, label: str) -> int:
    m = re.search(label + r" ([\d,]+)", text)
    if not m:
        raise BenchError(f"the live view's header has no {label}")
    return int(m.group(1).replace(",", ""))


def _cpu_s(pid: int) -> float:
    """A process's CPU time so far (user + system), from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def live_run(proftui: str, pid: int, seconds: float, key: str,
             then: Callable[[], None] = lambda: None) -> Tuple[int, int, float]:
    """(samples, missed, CPU seconds) of the live view on view `key`,
    sampling pid at 10 kHz for `seconds`, read from its header and /proc
    once it says STOPPED; then() is called once it is started."""
    sys.path.insert(0, str(REPO / "test" / "integration"))
    from uidriver import LiveView  # noqa: E402 (pyte; the UI tests' driver)
    view = LiveView([proftui, "-p", pid, "-r", "10000", "-d", f"{seconds}"], cols=COLS, lines=LINES)
    try:
        then()
        deadline = time.monotonic() + 30
        while "SAMPLING" not in view.text():
            view.pump(0.05)
            if time.monotonic() > deadline or view.proc.poll() is not None:
                raise BenchError("the live view did not start: " + view.text()[-300:])
        view.send(key)
        deadline = time.monotonic() + seconds + 60
        while "STOPPED" not in view.text():
            view.pump(0.1)
            if time.monotonic() > deadline or view.proc.poll() is not None:
                raise BenchError("the live view did not stop sampling: " + view.text()[-300:])
        view.pump(0.5)                     # the last refresh's figures
        text = view.text()
        samples, missed = _count(text, "Samples"), _count(text, "Missed")
        cpu = _cpu_s(view.proc.pid)
        view.send("q")
        end = time.monotonic() + 30
        while view.proc.poll() is None and time.monotonic() < end:
            view.pump(0.05)
        return samples, missed, cpu
    finally:
        view.close()


def _pct(samples: float, missed: float) -> float:
    return 100.0 * missed / max(1.0, samples + missed)


def live_10k(py: str, proftui: str, runs: int, seconds: float):
    """{figure: [one value per pair]}: missed rounds [%] in each live view
    and in the headless run beside it, their difference [points], the live
    proftui's CPU beyond the headless one's [% of a core], and the distinct
    stacks of the headless profile. Which of the pair starts first
    alternates: the one started second misses about a point fewer (two
    headless runs side by side, 2026-12-03), so each view has either."""
    out = {}
    with Target(py, "wide.py", [1]) as t:      # one thread: no stack waits for the GIL
        pairs = 0
        for _ in range(runs):
            for name, key in VIEWS:
                side: List[Proftui] = []

                def start_side():
                    side.append(Proftui(proftui, ["-p", t.pid, "-r", "10000", "-d", f"{seconds}s"]))
                if pairs % 2 == 0:
                    start_side()
                pairs += 1
                try:
                    samples, missed, cpu = live_run(proftui, t.pid, seconds, key,
                                                    start_side if not side else lambda: None)
                finally:
                    if side:
                        prof = side[0].finish(seconds + 60)
                live, headless = _pct(samples, missed), _pct(prof.rounds, prof.num("missed"))
                out.setdefault("missed_pct_wide_headless", []).append(headless)
                out.setdefault("stacks_wide", []).append(float(len(prof.stacks)))
                out.setdefault(f"missed_pct_wide_{name}", []).append(live)
                out.setdefault(f"missed_diff_wide_{name}", []).append(live - headless)
                out.setdefault("ui_cpu_pct_wide", []).append(100.0 * (cpu - prof.cpu_s) / seconds)
    return out
