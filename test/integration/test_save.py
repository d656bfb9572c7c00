# SPDX-License-Identifier: MIT
"""Saving from the live view (key s, issue 11): a prompt on the footer
with the default name proftui-<program>-<pid>-<yyyymmdd-hhmmss>.json in
proftui's current directory (the test's tmp directory), editable, Enter
writes what the view shows (the format from the name's ending) and the
footer confirms the full path; Esc writes nothing; a path that cannot be
written shows the error and the view goes on; keys typed into the prompt
never act as view keys.

Run under one interpreter (test_ui's newest): the save reads the view's
table, not the target, so the interpreter changes nothing here."""

import gzip
import json
import os
import re
import time
from datetime import datetime
from pathlib import Path

import pytest

from harness import Profile, format_problems, run
from test_ui import HOT, live, newest  # noqa: F401 (fixtures)
from uidriver import LiveView, terminfo_string

SAVED = re.compile(r"saved (\d+) samples? to (\S+)")


def start(live, interp, cwd: Path) -> LiveView:
    """hot.py in the live view, run from cwd; waits for 300 samples."""
    view = live("--", interp.path, HOT, cwd=cwd)
    view.launched = True
    view.wait_for(lambda: view.samples() >= 300 and view.rows(), "300 samples and rows")
    view.target_pid = int(view.header()["pid"])
    return view


def pause(view: LiveView) -> None:
    view.send("p")
    view.wait_for(lambda: "PAUSED" in view.header()["state"], "the PAUSED state")


def open_prompt(view: LiveView) -> str:
    """Press s; returns the name the prompt offers."""
    view.send("s")
    m = view.wait_for(lambda: re.search(r"Save as: (\S+)", view.footer()), "the save prompt")
    return m[1].rstrip("▏_")


def type_name(view: LiveView, name: str) -> None:
    """Clear the prompt (Ctrl-U with the cursor at the end) and type name."""
    view.send("\x15")
    view.send(name)
    view.wait_for(lambda: f"Save as: {name}" in view.footer(), f"{name!r} in the prompt")


def cpu_share(pid: int) -> float:
    """The share of its life so far that process pid spent on a CPU (its
    user and system time over the time since it started, /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    hz = os.sysconf("SC_CLK_TCK")
    ticks, start = int(fields[11]) + int(fields[12]), int(fields[19])
    alive = float(Path("/proc/uptime").read_text().split()[0]) - start / hz
    return ticks / hz / alive


def saved(view: LiveView) -> re.Match:
    return view.wait_for(lambda: SAVED.search(view.footer()), "the saved message on the footer")


def speedscope_leaves(path: Path) -> dict:
    """Samples by leaf function name in a speedscope file (sampled profiles:
    each distinct stack a list of frame indices, root first, weighted by
    its samples x the interval in ns)."""
    doc = json.loads(path.read_text())
    frames = doc["shared"]["frames"]
    interval = doc["proftui"]["interval_ns"]
    leaves = {}
    for prof in doc["profiles"]:
        assert prof["type"] == "sampled", prof["type"]
        for stack, weight in zip(prof["samples"], prof["weights"]):
            if stack:
                name = frames[stack[-1]]["name"]
                assert weight % interval == 0, (weight, interval)
                leaves[name] = leaves.get(name, 0) + weight // interval
    return leaves


def collapsed_leaves(path: Path) -> dict:
    leaves = {}
    for st in Profile.load(path).stacks:
        if st.leaf is not None:
            leaves[st.leaf.name] = leaves.get(st.leaf.name, 0) + st.count
    return leaves


def test_default_name_in_cwd(live, newest, tmp_path):
    """s then Enter: proftui-hot-<pid>-<now>.json in the cwd, the footer
    naming its full path; the file holds the samples the paused view shows
    (hottest()'s own count equals its row's)."""
    view = start(live, newest, tmp_path)
    pause(view)
    hottest = view.row("hottest")
    assert hottest and hottest.own < 10000, view.describe()     # shown exactly
    name = open_prompt(view)
    m = re.fullmatch(r"proftui-hot-(\d+)-(\d{8}-\d{6})\.json", name)
    assert m, f"default name {name!r}\n{view.describe()}"
    assert int(m[1]) == view.target_pid
    stamp = datetime.strptime(m[2], "%Y%m%d-%H%M%S")
    assert abs((datetime.now() - stamp).total_seconds()) < 120, f"{name}: not now ({datetime.now()})"
    view.send("\r")
    got = saved(view)
    path = tmp_path / name
    assert got[2] == str(path.resolve()), view.describe()
    assert path.is_file() and not [p for p in tmp_path.iterdir() if p.name != name]
    n = int(got[1])
    shown = view.samples()      # rounds, read a moment after the rows: one thread, one sample a round
    assert 0 < n <= shown, f"saved {n} samples, the header counts {shown} rounds"
    assert "Save as" not in view.footer(), "the prompt stays open after a save"
    leaves = speedscope_leaves(path)
    assert sum(leaves.values()) == n
    # The rows and the file are the same copy of the profile: equal counts.
    assert leaves.get("hottest") == hottest.own, f"file {leaves.get('hottest')}, row {hottest.own}"


def test_edited_name_writes_collapsed(live, newest, tmp_path):
    """Editing the name (Backspace, Left, Delete) to x.txt writes collapsed
    stacks of what the paused view shows: hottest() on top with the count
    its row shows."""
    view = start(live, newest, tmp_path)
    pause(view)
    hottest = view.row("hottest")
    assert hottest and hottest.own < 10000, view.describe()     # shown exactly
    open_prompt(view)
    type_name(view, "xq.txtt")
    view.send("\x7f")                                   # Backspace: xq.txt
    for _ in range(5):
        view.key("left")                                # x|q.txt
    delete = terminfo_string(view.term, "kdch1")
    assert delete, "the terminal has no Delete key"
    view.send(delete)                                   # x.txt
    view.wait_for(lambda: "Save as: x.txt" in view.footer(), "x.txt after editing")
    view.send("\r")
    got = saved(view)
    out = tmp_path / "x.txt"
    assert got[2] == str(out.resolve())
    p = Profile.load(out)
    assert not format_problems(p.text), format_problems(p.text)[:5]
    total = sum(s.count for s in p.stacks)
    assert total == int(got[1])
    leaf = collapsed_leaves(out)
    assert max(leaf, key=leaf.get) == "hottest", p.summary()
    assert leaf["hottest"] == hottest.own, f"file {leaf['hottest']}, row {hottest.own}"
    assert p.meta_value("pid").split()[0] == str(view.target_pid)


def test_escape_writes_nothing(live, newest, tmp_path):
    view = start(live, newest, tmp_path)
    open_prompt(view)
    view.send("\x1b")
    view.wait_for(lambda: "Save as" not in view.footer() and "Quit" in view.footer(),
                  "the key hints back on the footer")
    time.sleep(0.5)                  # give a wrong write the time to show up
    assert list(tmp_path.iterdir()) == []


def test_unwritable_path_shows_error(live, newest, tmp_path):
    """A directory that does not exist: the error on the footer, the
    prompt kept, the view sampling on; a good name then saves."""
    view = start(live, newest, tmp_path)
    bad = tmp_path / "no-such-dir" / "y.txt"
    open_prompt(view)
    type_name(view, str(bad))
    view.send("\r")
    view.wait_for(lambda: re.search(r"Save as: .*cannot write /.*y\.txt: No such file or directory$",
                                    view.footer()), "the error beside the prompt")
    before = view.samples()
    view.wait_for(lambda: view.samples() > before + 100, "sampling going on")
    type_name(view, "z.txt")
    view.send("\r")
    assert saved(view)[2] == str((tmp_path / "z.txt").resolve())
    assert not bad.parent.exists()
    view.send("q")
    view.wait_exit()


def test_prompt_keys_are_not_view_keys(live, newest, tmp_path):
    """q, p, R, ?, L, u, / and Enter's neighbours typed into the prompt
    edit the name; the view neither quits, pauses, resets, shows help,
    changes level nor filters."""
    view = start(live, newest, tmp_path)
    open_prompt(view)
    before = view.samples()
    type_name(view, "qpR?Lu/jG.txt")
    view.key("down")                      # moves nothing in a one-line prompt
    view.pump(0.3)
    h = view.header()
    assert "SAMPLING" in h["state"] and h["level"] == "function" and "filter" not in h
    assert view.samples() >= before, "the profile was reset"
    assert view.proc.poll() is None
    view.send("\x1b")
    view.wait_for(lambda: "Save as" not in view.footer(), "the prompt closed")
    assert list(tmp_path.iterdir()) == []
    view.send("q")
    assert view.wait_exit() is not None


def test_unavailable_format_keeps_prompt(live, proftui, newest, tmp_path):
    """A name whose ending asks for a format this build cannot write: said
    beside the prompt, which stays open; nothing is written. (Skipped once
    every format is in the build.)"""
    missing = None
    for ending in (".pb.gz", ".svg", ".prof", ".json"):
        res = run([proftui, "-o", tmp_path / f"probe{ending}", "--", "true"])
        if "not in this build" in res.stderr:
            missing = ending
            break
    if missing is None:
        pytest.skip("every output format is in this build")
    view = start(live, newest, tmp_path)
    open_prompt(view)
    type_name(view, "y" + missing)
    view.send("\r")
    view.wait_for(lambda: re.search(r"Save as: y\S+ .*format is not in this build \(available: ",
                                    view.footer()), "the missing format beside the prompt")
    assert list(tmp_path.iterdir()) == []


def test_default_name_of_a_saved_profile_without_pid(live, tmp_path):
    """--open of a flamegraph.pl file (no process): the default name has no
    '-0' for a pid it does not know (found by QA: proftui-python-0-...)."""
    src = Path(__file__).parent.parent / "data" / "profiles" / "flamegraph.txt"
    view = live("--open", src, cwd=tmp_path)
    view.wait_for(lambda: " render" in view.text(), "the rows of the table")
    name = open_prompt(view)
    assert re.fullmatch(r"proftui-[A-Za-z0-9._-]+-\d{8}-\d{6}\.json", name), name
    assert "-0-" not in name, name
    view.send("\r")
    view.wait_for(lambda: (tmp_path / name).is_file(), "the saved file")
    view.send("q")
    assert view.wait_exit() == 0


def test_pprof_save_carries_every_state(live, proftui, newest, tmp_path):
    """s to a .pb.gz file writes what -o writes: a sample type per state
    (samples, cpu, gil, idle), the view's mode the default, as many
    samples as the footer says were saved (every state is copied from the
    profile at the save, so it may hold more than the paused view), and
    each state of a stack at most its samples. A .prof file carries the
    same kind of pprof after its dictionary, read back by --open."""
    from test_format_pprof import decode_samples     # its decoder of profile.proto
    view = start(live, newest, tmp_path)
    pause(view)
    shown = view.samples()
    open_prompt(view)
    type_name(view, "x.pb.gz")
    view.send("\r")
    got = saved(view)
    on_cpu = cpu_share(view.target_pid)
    types, default, stacks = decode_samples(gzip.decompress((tmp_path / "x.pb.gz").read_bytes()))
    names = [t for t, _ in types]
    assert names[:4] == ["samples", "cpu", "gil", "idle"] and default == "samples", types
    assert sum(v[0] for v, _ in stacks) == int(got[1]) >= shown, (got[1], shown, len(stacks))
    for values, labels in stacks:
        w, c, g, i = values[:4]
        assert c + i <= w and g + i <= w, (values, labels)
    # hot.py's one thread computes all the time: its samples on a CPU are
    # its share of the time it got a CPU (all of it on a quiet machine, less
    # while other work takes the cores), measured by the kernel for the same run
    cpu_samples = sum(v[1] for v, _ in stacks) / int(got[1])
    assert abs(cpu_samples - on_cpu) <= 0.25, \
        (f"{cpu_samples:.2f} of the samples on a CPU, the process {on_cpu:.2f} of its time",
         [v for v, _ in stacks][:20])
    open_prompt(view)
    type_name(view, "x.prof")
    view.send("\r")
    view.wait_for(lambda: (tmp_path / "x.prof").is_file(), "the pstats file")
    again = saved(view)
    res = run([proftui, "--open", tmp_path / "x.prof", "-o", tmp_path / "back.pb.gz"])
    assert res.returncode == 0, res.describe()
    back_types, _, back = decode_samples(gzip.decompress((tmp_path / "back.pb.gz").read_bytes()))
    assert [t for t, _ in back_types][:4] == names[:4], back_types
    assert sum(v[0] for v, _ in back) == int(again[1]) >= int(got[1]), (again[1], got[1], back[:5])
    for values, _ in back:
        assert values[1] + values[3] <= values[0] and values[2] + values[3] <= values[0], values
