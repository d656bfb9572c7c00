# SPDX-License-Identifier: MIT
"""walk_frame.in_call, as --dump --json shows it ("in_call" of each frame),
on every CPython version: a leaf parked in a C call (time.sleep, from a call
site warmed up so 3.11+ specialize it) is in a call on every dump; the
leaf of a loop that calls nothing never is; every caller in a chain of
Python calls is, including one that passed 300 arguments (EXTENDED_ARG on
3.8/3.9, where f_lasti stays on the prefix); and none of them is unknown."""

import json
import re
import subprocess

import pytest

from harness import WORKLOADS, marker_line, one_per_version_params, read_line, run, wait_for
from test_dump import blocked

TARGET = WORKLOADS / "in_call_target.py"
DUMPS = 5


def frames_of(doc, tid, may_fail=False):
    """[(name, line, in_call)] of a thread's stack, innermost first; [] when
    may_fail and it could not be read (a spinning thread's stack can tear)."""
    t = next(t for t in doc["threads"] if t["tid"] == tid)
    assert t["error"] is None or may_fail, t
    return [(f["name"], f["line"], f["in_call"]) for f in t["frames"]]


# what is a call is the version's bytecode, not how libpython is linked
@pytest.mark.parametrize("interp", one_per_version_params())
def test_in_call(proftui, spawn, interp):
    proc = spawn([interp.path, TARGET], stdout=subprocess.PIPE)
    line = read_line(proc, 60, "the target's ready line")
    m = re.fullmatch(r"ready (\d+) (.*)", line)
    assert m and int(m[1]) == proc.pid, line
    tids = json.loads(m[2])
    for name in ("sleeper", "wide", "MainThread"):
        wait_for(lambda: blocked(proc.pid, tids[name]), 30, f"{name!r} to block")
    lines = {k: marker_line(TARGET, k) for k in ("SLEEP-LINE", "SPIN-LINE", "INNER-LINE",
                                                 "OUTER-LINE", "MAIN-LINE")}
    spins = 0
    for _ in range(DUMPS):
        res = run([proftui, "--dump", "--json", "-p", proc.pid], timeout=60)
        assert res.returncode == 0 and not res.stderr, res.describe()
        doc = json.loads(res.stdout)
        for t in doc["threads"]:
            assert all(f["in_call"] in (True, False, None) for f in t["frames"]), t
        sleeper = frames_of(doc, tids["sleeper"])
        assert sleeper[0] == ("sleep_here", lines["SLEEP-LINE"], True), sleeper
        assert sleeper[1][0] == "sleeper" and sleeper[1][2] is True, sleeper
        spinner = frames_of(doc, tids["spinner"], may_fail=True)
        if spinner and spinner[0][:2] == ("spin_here", lines["SPIN-LINE"]):
            spins += 1
            assert spinner[0][2] is False, spinner
        wide = frames_of(doc, tids["wide"])
        i = [f[0] for f in wide].index("wide_caller")
        assert wide[i - 1][0] == "block" and wide[i][2] is True, wide
        main = frames_of(doc, tids["MainThread"])
        names = [f[0] for f in main]
        i = names.index("inner")
        assert main[i] == ("inner", lines["INNER-LINE"], True), main
        assert main[i + 1] == ("outer", lines["OUTER-LINE"], True), main
        assert main[i + 2] == ("main", lines["MAIN-LINE"], True), main
        assert all(f[2] is True for f in main[:i]), main   # Event.wait's callers inside threading
    assert spins >= DUMPS - 1, f"spin_here was the spinner's leaf in {spins} of {DUMPS} dumps"
    assert proc.poll() is None
