# SPDX-License-Identifier: MIT
"""The output options of the issue on profiles as files: -f/--format and
the format chosen from -o's name, --tui (record while viewing), and the
option combinations that make no sense, each a one-line error with the
usage exit status before anything runs. The format writers have their own
tests, which read each file with its real client."""

import os
import re
import signal

import pytest

from harness import (SYSTEM_PYTHON, Profile, assert_error_line, format_problems, run,
                     supported_interpreters)
from test_cli import EXIT
from test_ui import HOT, UI_WORKLOADS, live, terminal_restored  # noqa: F401 (fixture)


@pytest.fixture
def sentinel(tmp_path):
    """A Python command that leaves a file behind if it ever runs."""
    marker = tmp_path / "command-ran"
    return marker, [SYSTEM_PYTHON, "-c", f"open({str(marker)!r}, 'w').close()"]


@pytest.mark.parametrize("args", [
    ["-f", "flamegraph", "-o", "{out}"],            # unknown format
    ["--format", "", "-o", "{out}"],
    ["-f", "svg"],                                   # a format but no file
    ["--tui"],                                       # record while viewing, but no file
    ["--json", "-o", "{out}"],                       # --json belongs to --dump
    ["--dump", "-o", "{out}"],                       # --dump needs -p and prints to stdout
    ["--open", "{out}", "-o", "{out}.2"],            # --open and a command
    ["--tui", "-o", "-"],                            # the view and the profile on stdout
    ["-o", ""],                                      # empty names: said so, not ': No such file'
    ["-o", "{out}", "--diff", ""],
    ["--child-output", "", "-o", "{out}"],
    ["-v", "", "-o", "{out}"],
    ["-o", "{out}", "--diff", "{out}.a", "--diff", "{out}.b"],   # a second --diff: not the last wins
    ["--tui", "-o", "{out}", "-o", "-"],
])
def test_bad_output_combinations(proftui, tmp_path, sentinel, args):
    marker, cmd = sentinel
    out = tmp_path / "out.txt"
    res = run([proftui, *[a.format(out=out) for a in args], "--", *cmd])
    assert_error_line(res, EXIT["EXIT_USAGE"])
    assert not marker.exists(), "the command must not run after a usage error"
    assert not out.exists()


def test_dump_needs_pid(proftui):
    assert_error_line(run([proftui, "--dump"]), EXIT["EXIT_USAGE"])


def test_format_options_in_help(proftui):
    text = run([proftui, "--help"]).stdout
    for word in ("--format", "--tui", "--open", "--dump", "--json",
                 "collapsed", "speedscope", "pprof", "pstats", "svg"):
        assert word in text, f"--help lacks {word}"


def test_collapsed_chosen_by_name_and_by_option(proftui, tmp_path):
    """.txt and an unknown ending give collapsed stacks, and so does -f
    collapsed whatever the name says."""
    for name, opts in (("a.txt", []), ("b.profile", []), ("c.json", ["-f", "collapsed"])):
        out = tmp_path / name
        res = run([proftui, *opts, "-d", "0.3", "-o", out, "--", SYSTEM_PYTHON, "-c",
                   "import time\nt=time.time()\nwhile time.time()-t<5: pass"], timeout=30)
        assert res.returncode in (0, 128 + signal.SIGINT, 128 + signal.SIGTERM), res.describe()
        p = Profile.load(out)
        assert not format_problems(p.text), format_problems(p.text)[:5]
        assert p.stacks, p.summary()


def test_tui_records_while_viewing(live, tmp_path):
    """-o FILE --tui: the live view runs, and quitting writes FILE (the
    same collapsed profile a headless run writes), leaving the terminal
    restored."""
    interps = supported_interpreters()
    if not interps:
        pytest.fail("no supported CPython on this machine", pytrace=False)
    out = tmp_path / "rec.txt"
    view = live("-o", out, "--tui", "--", interps[0].path, HOT, cwd=UI_WORKLOADS)
    view.launched = True
    view.wait_for(lambda: view.samples() >= 300 and view.rows(), "300 samples in the live view")
    view.target_pid = int(view.header()["pid"])
    shown = view.samples()
    assert not out.exists(), "the file is written on quit, not before"
    view.send("q")
    view.wait_exit()
    terminal_restored(view)
    p = Profile.load(out)
    assert not format_problems(p.text), format_problems(p.text)[:5]
    recorded = sum(s.count for s in p.stacks)
    assert recorded >= shown, f"the file has {recorded} samples, the view showed {shown} before quit"
    assert any(s.frames and s.leaf.name == "hottest" for s in p.stacks), p.summary()
    assert p.meta.get("pid") and p.meta["pid"].split()[0] == str(view.target_pid)


def test_several_outputs_from_one_run(proftui, tmp_path):
    """-o twice: one run, two files, the same profile in each."""
    a, b = tmp_path / "a.txt", tmp_path / "b.collapsed"
    # The program ends by itself: a -d that stops it can land in Python's
    # start-up on a busy machine (a KeyboardInterrupt there exits 1).
    res = run([proftui, "-o", a, "-o", b, "--", SYSTEM_PYTHON, "-c",
               "import time\nt=time.time()\nwhile time.time()-t<0.5: pass"], timeout=30)
    assert res.returncode == 0, res.describe()
    assert a.read_text() == b.read_text() and Profile.load(a).stacks


def test_unwritable_second_output_fails_before_running(proftui, tmp_path, sentinel):
    marker, cmd = sentinel
    a = tmp_path / "a.txt"
    res = run([proftui, "-o", a, "-o", tmp_path / "no" / "b.txt", "--", *cmd])
    assert_error_line(res, EXIT["EXIT_OUTPUT"])
    assert "no/b.txt" in res.stderr
    assert not marker.exists() and not a.exists()


DATA = os.path.join(os.path.dirname(__file__), "..", "data", "profiles")


@pytest.mark.parametrize("args,pattern", [
    (["--tui", "-o", "{out}"], "no --tui"),          # converting: there is no view
    (["-i", "5ms", "-o", "{out}"], "not to --open"),  # a saved profile's interval is its own
    (["-r", "100", "-o", "{out}"], "not to --open"),
    (["--child-output", "{out}.log", "-o", "{out}"], "not to --open"),
    (["--run-as-root", "-o", "{out}"], "not to --open"),
    (["--diff", "-", "-o", "{out}"], "both read standard input"),   # with --open -, below
    (["--open", "{out}.b", "-o", "{out}"], "--open given twice"),
    (["--diff", "", "-o", "{out}"], "needs a file name"),
])
def test_open_refuses_sampling_and_view_options(proftui, tmp_path, args, pattern):
    """Options that cannot apply to a saved profile are refused, not ignored
    (found by QA: --open FILE --tui -o OUT converted silently, no view)."""
    out = tmp_path / "out.txt"
    src = "-" if "--diff" in args else os.path.join(DATA, "flamegraph.txt")
    res = run([proftui, "--open", src, *[a.format(out=out) for a in args]])
    assert_error_line(res, EXIT["EXIT_USAGE"], pattern)
    assert not out.exists()


@pytest.mark.parametrize("args", [["-d", "1"], ["-i", "5ms"], ["-r", "100"], ["--cpu"],
                                  ["--only", "."], ["--run-as-root"],
                                  ["--child-output", "{out}"]])
def test_dump_refuses_sampling_options(proftui, tmp_path, args):
    """--dump reads each stack once: sampling options are refused, not
    silently ignored; the refusal comes before the PID is even looked at."""
    out = tmp_path / "child.log"
    res = run([proftui, "--dump", "-p", str(os.getpid()), *[a.format(out=out) for a in args]])
    assert_error_line(res, EXIT["EXIT_USAGE"], "--dump reads each stack once")
    assert not out.exists()


def test_every_option_has_its_line_in_help(proftui):
    """Each option --help names anywhere (the usage lines included) is
    described on a line of its own (found by QA: --dump and --json were
    only in the usage lines)."""
    text = run([proftui, "--help"]).stdout
    named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*[a-z]", text))
    assert {"--dump", "--json", "--open", "--diff", "--push"} <= named, sorted(named)
    for opt in sorted(named):
        assert re.search(rf"^ +(-\w, )?{re.escape(opt)}(?![\w-])", text, re.M), \
            f"--help names {opt} but has no line describing it:\n{text}"


@pytest.mark.parametrize("name,head", [("P.SVG", b"<"), ("P.JSON", b"{"), ("P.PB.GZ", b"\x1f\x8b"),
                                       ("P.Prof", b"{"), ("P.TXT", b"# proftui")])
def test_endings_in_any_case(proftui, tmp_path, name, head):
    """An ending chooses its format in any case: PROFILE.SVG is an SVG
    (it was collapsed text), PROFILE.JSON speedscope ... ('{' is also how a
    marshalled dict starts)."""
    out = tmp_path / name
    res = run([proftui, "--open", os.path.join(DATA, "pyspy-raw.txt"), "-o", out])
    assert res.returncode == 0, res.describe()
    data = out.read_bytes()
    assert data.startswith(head), (name, data[:40])
    if name == "P.SVG":
        assert b"<svg" in data[:400]
    if name == "P.JSON":
        assert b"speedscope" in data[:400]
