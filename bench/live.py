# SPDX-License-Identifier: MIT
"""The live view at 10 kHz (issue 9's goal: "at 10 kHz on a profile of
10,000 functions, the live view misses no more rounds than a headless run
of the same target"): proftui attached to bench/targets/wide.py (about
10,000 functions, hundreds of thousands of distinct stacks after a few
seconds) at -r 10000 for SECONDS, once headless (-o) and once in the live
view in a pseudo-terminal on each of the top, call tree and flame graph
views; the share of rounds missed, from the profile's '# missed' line and
from the live view's header (Samples, Missed) once sampling stopped.

The live view runs on a real pty read through the terminal emulator the
UI tests use (test/integration/uidriver.py, pyte)."""

import re
import sys
import time
from pathlib import Path
from typing import Tuple

from procs import BenchError, Target, proftui_run

REPO = Path(__file__).resolve().parents[1]
VIEWS = (("top", "t"), ("tree", "c"), ("flame", "f"))
COLS, LINES = 160, 50


def _count(text: str, label: str) -> int:
    m = re.search(label + r" ([\d,]+)", text)
    if not m:
        raise BenchError(f"the live view's header has no {label}")
    return int(m.group(1).replace(",", ""))


def live_run(proftui: str, pid: int, seconds: float, key: str) -> Tuple[int, int]:
    """(samples, missed) of the live view on view `key`, sampling pid at
    10 kHz for `seconds`, read from its header once it says STOPPED."""
    sys.path.insert(0, str(REPO / "test" / "integration"))
    from uidriver import LiveView  # noqa: E402 (pyte; the UI tests' driver)
    view = LiveView([proftui, "-p", pid, "-r", "10000", "-d", f"{seconds}"], cols=COLS, lines=LINES)
    try:
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
        view.send("q")
        end = time.monotonic() + 30
        while view.proc.poll() is None and time.monotonic() < end:
            view.pump(0.05)
        return samples, missed
    finally:
        view.close()


def _pct(samples: float, missed: float) -> float:
    return 100.0 * missed / max(1.0, samples + missed)


def live_10k(py: str, proftui: str, runs: int, seconds: float):
    """{figure: [one value per run]}: missed rounds [%] headless and in
    each live view, and the distinct stacks of the headless profile."""
    out = {}
    with Target(py, "wide.py", [1]) as t:      # one thread: no stack waits for the GIL
        for _ in range(runs):
            prof = proftui_run(proftui, ["-p", t.pid, "-r", "10000", "-d", f"{seconds}s"])
            headless = _pct(prof.rounds, prof.num("missed"))
            out.setdefault("missed_pct_wide_headless", []).append(headless)
            out.setdefault("stacks_wide", []).append(float(len(prof.stacks)))
            for name, key in VIEWS:
                samples, missed = live_run(proftui, t.pid, seconds, key)
                out.setdefault(f"missed_pct_wide_{name}", []).append(_pct(samples, missed))
    return out
