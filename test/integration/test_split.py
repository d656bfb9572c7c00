# SPDX-License-Identifier: MIT
"""The Python / C / system split (issue 12): of each row's own samples on
a CPU, the shares that ran Python bytecode (%PY), C code the line called
(%C: its instruction is a call) and the kernel (%SYS: the thread's system
time). Three threads each spend their time in one of them (split.py):
spin in bytecode, hash_loop in hashlib's C code, read_loop in reads of
/dev/urandom, which the kernel fills. The shares are ratios within one
row, so a loaded machine stretches them alike. Every version, in the
live view's top view after the program ends; the source view and key 9
on the newest."""

import json
import re

import pytest

from harness import one_per_version_params
from test_ui import launch, live, newest  # noqa: F401  (fixtures)

SECONDS = "2.5"


def finished(view):
    view.wait_text("FINISHED", timeout=60)
    return view


def rows_by_name(view):
    return {r.func: r for r in view.rows()}


def kernel_shares(info) -> dict:
    """Each thread's system time as a share of its CPU time (points), as
    the kernel counted it (split.py's INFO, clock ticks), and its ticks."""
    times = json.loads(info.read_text())
    return {name: (100 * t["stime"] / max(t["utime"] + t["stime"], 1), t["utime"] + t["stime"])
            for name, t in times.items()}


def check_split(rows, truth):
    """truth: kernel_shares(). %SYS is the thread's system time given out
    to its samples on a CPU, so it follows the kernel's own count: a
    thread that spends next to nothing there (2-3 % on a quiet machine for
    spin and hash_loop) can have more on a loaded one (GIL hand-offs,
    preemption: 13 % of hash_loop's samples in one run), and the kernel
    counts it in 10 ms ticks (about 40 of hash_loop's in a run)."""
    spin, hashing, reading = rows.get("spin"), rows.get("hash_loop"), rows.get("read_loop")
    assert spin and hashing and reading, f"rows: {sorted(rows)}"
    # each thread's own samples on a CPU are mostly where it spends them
    assert spin.py is not None and spin.py >= 80, spin
    assert hashing.c is not None and hashing.c >= 80, hashing
    assert reading.sys is not None and reading.sys >= 60, reading
    # and little elsewhere
    facts = f"kernel's system share (points, ticks): {truth}"
    assert spin.c <= 10 and spin.sys <= 10 + truth["spin"][0], f"{spin}\n{facts}"
    assert hashing.py <= 15 and hashing.sys <= 10 + truth["hash_loop"][0], f"{hashing}\n{facts}"
    assert reading.py <= 15, reading


# what is a call depends on the version's bytecode, not on how it is linked
@pytest.mark.parametrize("interp", one_per_version_params())
def test_top_view_split(live, interp, tmp_path):  # noqa: F811
    info = tmp_path / "info.json"
    view = finished(launch(live, interp, "split.py", SECONDS, info, cols=200))
    check_split(rows_by_name(view), kernel_shares(info))


def test_split_hidden_in_gil_mode_and_sorted_by_key_9(live, newest):  # noqa: F811
    view = finished(launch(live, newest, "split.py", SECONDS, cols=200))
    assert "%SYS" in view.text()
    # 9 sorts by the time in C, in the kernel, in Python (most first)
    view.send("9")
    view.wait_for(lambda: view.rows() and view.rows()[0].func == "hash_loop", "hash_loop first by %C")
    view.send("9")
    view.wait_for(lambda: view.rows() and view.rows()[0].func == "read_loop", "read_loop first by %SYS")
    view.send("9")
    view.wait_for(lambda: view.rows() and view.rows()[0].func == "spin" and "Sort %PY" in view.text(),
                  "spin first by %PY")
    # gil mode: the split is not of the mode's samples, so it is not shown
    view.send("mm")     # wall, cpu, gil
    view.wait_for(lambda: view.header()["mode"] == "gil", "gil mode")
    view.wait_for(lambda: "%SYS" not in view.text() and view.rows(), "the split hidden in gil mode")


def test_source_view_split(live, newest):  # noqa: F811
    view = finished(launch(live, newest, "split.py", SECONDS, cols=200))
    view.wait_for(lambda: view.row("read_loop"), "read_loop's row")
    while view.selected_name() != "read_loop":
        view.key("down")
        view.pump(0.1)
    view.send("v")
    line = None

    def read_line():
        nonlocal line
        for text in view.display():
            m = re.match(r"\s*\d+\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s.*os\.read\(fd", text)
            if m:
                line = m
                return True
        return False

    view.wait_for(read_line, "the os.read line with its numbers")
    assert "%SYS" in view.text()
    py, c, sys_ = (line[k] for k in (3, 4, 5))
    assert re.fullmatch(r"\d+%", sys_) and int(sys_[:-1]) >= 60, line[0]
