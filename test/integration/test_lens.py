# SPDX-License-Identifier: MIT
"""The "your code first" lens: --only on headless output (launched with a
relative script path, and attached from another directory, so that
relative co_filenames are taken from the target's directory), --only
usage errors, and the live view's key u (the header says so, the top
view's hottest row becomes the user's function)."""

import os
import signal
import subprocess
from pathlib import Path

import pytest

from harness import (SYSTEM_PYTHON, UNREADABLE, Profile, assert_error_line, format_problems,
                     proc_state, run, samples, selected_interpreters, shares)
from uidriver import LiveView

HERE = Path(__file__).resolve().parent
UI_WORKLOADS = HERE / "workloads_ui"
YOURCODE = UI_WORKLOADS / "yourcode.py"
OUTSIDE = "[outside your code]"
EXIT_USAGE = 2


def _edges():
    """The oldest and the newest interpreter: co_filename of the script is
    relative on 3.8 and absolute from 3.9."""
    interps = sorted(selected_interpreters(), key=lambda i: i.version_info)
    return [interps[0], interps[-1]] if len(interps) > 1 else interps


EDGES = _edges()
NEWEST = EDGES[-1] if EDGES else None


@pytest.fixture
def newest():
    if NEWEST is None:
        pytest.fail("no supported CPython on this machine", pytrace=False)
    return NEWEST


def check_lensed(prof: Profile, where: str) -> None:
    """Every frame is the workload's or the outside marker (or the frame of
    a stack that could not be read, which the lens keeps); the library time
    lands in the user functions that called the library, as own time."""
    problems = format_problems(prof.text)
    assert not problems, f"{where}: not collapsed format: {problems}\n{prof.summary()}"
    assert prof.meta_value("only"), f"{where}: no '# only' metadata\n{prof.summary()}"
    for s in prof.stacks:
        for f in s.frames:
            if f.raw in (OUTSIDE, UNREADABLE):
                assert len(s.frames) == 1, f"{where}: {f.raw} under other frames: {s}"
                continue
            assert f.file and Path(f.file).name == "yourcode.py", \
                f"{where}: a frame that is not the user's survived the lens: {f} in {s}"
    assert samples(prof.stacks) == prof.meta_count("recorded"), f"{where}: counts do not add up"
    sh = shares(prof.stacks)
    enc, words = sh.get("encode_records"), sh.get("find_words")
    assert enc and words, f"{where}: the user's functions are missing\n{prof.summary()}"
    # The workload spends ~65 % in json under encode_records, ~25 % in re
    # under find_words: with the lens, that is their own time.
    assert enc.own >= 0.35 and enc.own >= 0.9 * enc.total, f"{where}: encode_records {enc}\n{prof.summary()}"
    assert words.own >= 0.1 and words.own >= 0.9 * words.total, f"{where}: find_words {words}\n{prof.summary()}"
    assert enc.own > words.own, f"{where}: shares out of order\n{prof.summary()}"


def profile(proftui, args, cwd, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in [proftui, *args]], cwd=cwd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                          universal_newlines=True, errors="replace", start_new_session=True)


@pytest.mark.parametrize("interp", EDGES, ids=[i.id for i in EDGES])
def test_only_headless_launched(proftui, interp, tmp_path):
    """--only . with the script given relative to the directory proftui and
    the target run in; and, in the same run's terms, what the lens moved:
    the same workload without it has json's and re's frames on top. Under
    the oldest and the newest interpreter, as attached: what the lens reads
    from the target is co_filename, relative up to 3.8 and absolute from
    3.9 (the frames themselves are test_engine.py's under every one)."""
    out = tmp_path / "lensed.txt"
    res = profile(proftui, ["-d", "2", "-o", out, "--only", ".", "--", interp.path, "yourcode.py"],
                  cwd=UI_WORKLOADS)
    assert out.exists(), f"no profile written: {res.stderr}"
    prof = Profile.load(out)
    check_lensed(prof, f"{interp.id} launched")
    assert Path(prof.meta_value("only").strip('"')) == Path("."), prof.meta_value("only")


def test_without_only_library_frames_stay(proftui, newest, tmp_path):
    """The contrast: no --only, no lens; the library frames are leaves."""
    out = tmp_path / "plain.txt"
    profile(proftui, ["-d", "2", "-o", out, "--", newest.path, "yourcode.py"], cwd=UI_WORKLOADS)
    prof = Profile.load(out)
    assert prof.meta_value("only") is None
    sh = shares(prof.stacks)
    enc = sh.get("encode_records")
    assert enc and enc.total >= 0.35 and enc.own <= 0.5 * enc.total, \
        f"without the lens, json's frames should hold encode_records' time\n{prof.summary()}"
    assert any(s.leaf and s.leaf.file and "json" in s.leaf.file for s in prof.stacks), prof.summary()


@pytest.mark.parametrize("edge", EDGES, ids=[i.id for i in EDGES])
def test_only_headless_attached(proftui, spawn, edge, tmp_path):
    """Attached from another directory: relative names are the target's."""
    target = spawn([edge.path, "yourcode.py"], cwd=UI_WORKLOADS)
    out = tmp_path / "attached.txt"
    res = profile(proftui, ["-p", target.pid, "-d", "2", "-o", out, "--only", UI_WORKLOADS], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    prof = Profile.load(out)
    check_lensed(prof, f"{edge.id} attached")
    assert target.poll() is None, "the attached target must keep running"


@pytest.mark.parametrize("value", ["", ",", "/no/such/dir", "/dev/null"])
def test_only_usage_errors(proftui, tmp_path, value):
    marker = tmp_path / "ran"
    res = run([proftui, "--only", value, "-o", tmp_path / "out", "--",
               SYSTEM_PYTHON, "-c", f"open({str(marker)!r}, 'w').close()"])
    assert_error_line(res, EXIT_USAGE, "only")
    assert not marker.exists(), "the command must not run after a usage error"
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- live view

@pytest.fixture
def lens_view(proftui):
    """proftui in a pty, run from the workloads' directory; proftui and the
    target it launched are killed when the test ends."""
    views = []

    def start(*args) -> LiveView:
        v = LiveView([proftui, *args], cwd=UI_WORKLOADS)
        views.append(v)
        v.wait_for(lambda: v.rows(), "the first rows of the table")
        v.target_pid = int(v.header()["pid"])
        return v

    yield start
    for v in views:
        v.close()
        if v.target_pid and proc_state(v.target_pid) is not None:
            os.kill(v.target_pid, signal.SIGKILL)


def test_key_u_lens(lens_view, newest):
    """u: the header says the lens is on and for what; the top view's
    hottest row becomes the user's function (json's were on top); u again
    turns it off."""
    view = lens_view("--", newest.path, "yourcode.py")
    view.wait_for(lambda: view.samples() >= 1500, "1.5 s of samples")
    assert "Lens" not in view.header_text(), "the lens must be off by default"
    assert view.rows()[0].func != "encode_records", view.describe()
    view.send("u")
    view.wait_for(lambda: "Lens your code (1 dir)" in view.header_text(), "the lens in the header")
    view.wait_for(lambda: view.rows()[0].func == "encode_records", "encode_records as the hottest row")
    top = view.rows()[0]
    assert top.own_pct >= 35 and top.own_pct >= 0.9 * top.total_pct, view.describe()
    assert all(r.func in (OUTSIDE, UNREADABLE) or r.loc.startswith("yourcode.py")
               for r in view.rows()), view.describe()
    view.send("u")
    view.wait_for(lambda: "Lens" not in view.header_text(), "the lens off again")
    view.wait_for(lambda: view.rows()[0].func != "encode_records", "json's frames back on top")


def test_only_turns_lens_on(lens_view, newest):
    view = lens_view("--only", "yourcode.py", "--", newest.path, "yourcode.py")
    view.wait_for(lambda: "Lens your code (1 file)" in view.header_text(), "the lens on from the start")
    view.wait_for(lambda: view.samples() >= 1000 and view.rows()[0].func == "encode_records",
                  "encode_records as the hottest row")
