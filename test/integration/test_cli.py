# SPDX-License-Identifier: MIT
"""proftui's command line (issue 2): --help/--version, every bad input with
its one-line error and documented exit status, output destinations, the
sampling interval options and --duration on a launched command. These do not
depend on the interpreter version, so they run against one Python."""

import os
import re
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

from harness import (REPO, SYSTEM_PYTHON, Profile, assert_error_line, format_problems, free_pid,
                     meson_version, proc_state, proc_status_field,
                     profile_workload, run, samples, supported_interpreters, wait_for)

OPTIONS = ["-p", "--pid", "-i", "--interval", "-r", "--rate", "-d", "--duration",
           "-o", "--output", "--cpu", "--only", "-V", "--version", "-h", "--help"]


def exit_codes():
    """{name: value} of enum exit_code in include/exitcode.h."""
    text = (REPO / "include" / "exitcode.h").read_text()
    codes = dict(re.findall(r"\b(EXIT_[A-Z_]+)\s*=\s*(\d+)", text))
    assert len(codes) >= 10, "could not read include/exitcode.h"
    return {k: int(v) for k, v in codes.items()}


EXIT = exit_codes()
# how a command that proftui ends at --duration may have exited
TERMINATED = {128 + signal.SIGINT, 128 + signal.SIGTERM, 128 + signal.SIGKILL}


@pytest.fixture(scope="module")
def py():
    """The Python the CLI tests use: the system one when supported."""
    interps = supported_interpreters()
    if not interps:
        pytest.fail("no CPython >= 3.8 found on this machine")
    return next((i for i in interps if i.path == SYSTEM_PYTHON), interps[0])


@pytest.fixture
def sentinel(py, tmp_path):
    """A Python command that leaves a file behind if it ever runs."""
    marker = tmp_path / "command-ran"
    return marker, [py.path, "-c", f"open({str(marker)!r}, 'w').close()"]


# ---------------------------------------------------------------- help, version

@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(proftui, flag):
    res = run([proftui, flag])
    assert res.returncode == 0, res.describe()
    assert res.stderr == "", res.describe()
    text = res.stdout
    for opt in OPTIONS:
        assert re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", text), f"--help lacks {opt}"
    heading = re.search(r"exit status", text, re.I)
    assert heading, "--help should document the exit statuses"
    statuses = text[heading.start():]
    for name, value in EXIT.items():
        assert re.search(rf"(?<![\w.-]){value}(?![\w.])", statuses), \
            f"--help should list exit status {value} ({name}) after 'exit status'\n{text}"


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(proftui, flag):
    version = meson_version()
    res = run([proftui, flag])
    assert res.returncode == 0, res.describe()
    assert re.match(rf"^proftui\b.*(?<![\d.]){re.escape(version)}(?![\d.])", res.stdout), \
        res.describe()


# ---------------------------------------------------------------- usage errors

@pytest.mark.parametrize("opt", ["--bogus", "-Z"])
def test_unknown_option(proftui, tmp_path, sentinel, opt):
    marker, cmd = sentinel
    res = run([proftui, opt, "-o", tmp_path / "out", "--", *cmd])
    assert_error_line(res, EXIT["EXIT_USAGE"])
    assert res.stdout == ""
    assert not marker.exists(), "the command must not run after a usage error"


@pytest.mark.parametrize("opt", ["-p", "-i", "-r", "-d", "-o"])
def test_missing_option_value(proftui, opt):
    assert_error_line(run([proftui, opt]), EXIT["EXIT_USAGE"])


@pytest.mark.parametrize("opt,value", [
    ("-i", "abc"), ("-i", "0"), ("-i", "0ms"), ("-i", "-1ms"), ("-i", "1parsec"), ("-i", ""),
    ("-i", "1ms2"), ("--interval", "ms"),
    ("-r", "0"), ("-r", "abc"), ("-r", "-5"), ("--rate", "10x"),
    ("-d", "abc"), ("-d", "-1"), ("--duration", "1s1"),
])
def test_bad_value(proftui, tmp_path, sentinel, opt, value):
    marker, cmd = sentinel
    res = run([proftui, opt, value, "-o", tmp_path / "out", "--", *cmd])
    assert_error_line(res, EXIT["EXIT_USAGE"])
    assert not marker.exists(), "the command must not run after a usage error"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["abc", "12x", "-5", ""])
def test_bad_pid(proftui, tmp_path, value):
    assert_error_line(run([proftui, "-p", value, "-o", tmp_path / "out"]), EXIT["EXIT_USAGE"])


def test_pid_and_command_together(proftui, tmp_path, sentinel):
    marker, cmd = sentinel
    res = run([proftui, "-p", str(os.getpid()), "-o", tmp_path / "out", "--", *cmd])
    assert_error_line(res, EXIT["EXIT_USAGE"])
    assert not marker.exists()


def test_demo_without_command(proftui, tmp_path):
    """No command and no -p: the bundled demo workload is profiled."""
    out = tmp_path / "out"
    res = run([proftui, "-d", "1", "-o", out], timeout=30)
    assert res.returncode in TERMINATED | {0}, res.describe()
    p = Profile.load(out)
    assert not format_problems(p.text), format_problems(p.text)[:10]
    assert samples(p.stacks) >= 0.3 * 1000 and any(s.frames for s in p.stacks), p.summary()


# ---------------------------------------------------------------- bad targets

def test_no_such_pid(proftui, tmp_path):
    pid = free_pid()
    res = run([proftui, "-p", pid, "-o", tmp_path / "out"])
    assert_error_line(res, EXIT["EXIT_NO_PROCESS"], rf"\b{pid}\b")


def test_pid_not_python(proftui, spawn, tmp_path):
    sleeper = spawn(["sleep", "30"])
    wait_for(lambda: proc_state(sleeper.pid) == "S", 10, "sleep to be sleeping")
    res = run([proftui, "-p", sleeper.pid, "-o", tmp_path / "out"], timeout=30)
    assert_error_line(res, EXIT["EXIT_NOT_PYTHON"])
    assert sleeper.poll() is None and proc_state(sleeper.pid) == "S", \
        "the non-Python process must be left alone"
    assert proc_status_field(sleeper.pid, "TracerPid") == "0"


@pytest.mark.parametrize("cmd", [["sleep", "1"], ["/bin/true"]], ids=["sleep", "true"])
def test_command_not_python(proftui, tmp_path, cmd):
    res = run([proftui, "-o", tmp_path / "out", "--", *cmd], timeout=30)
    assert_error_line(res, EXIT["EXIT_NOT_PYTHON"], r"python")


@pytest.mark.parametrize("cmd", ["/nonexistent/dir/cmd", "proftui-no-such-command"])
def test_command_not_found(proftui, tmp_path, cmd):
    res = run([proftui, "-o", tmp_path / "out", "--", cmd])
    assert_error_line(res, EXIT["EXIT_NOTFOUND"], re.escape(cmd))


def test_command_not_executable(proftui, tmp_path):
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o644)
    res = run([proftui, "-o", tmp_path / "out", "--", script])
    assert_error_line(res, EXIT["EXIT_NOEXEC"], re.escape(str(script)))


def test_unsupported_version(proftui, tmp_path, old_interp):
    """A CPython older than 3.8 is recognised and refused with exit 6."""
    res = run([proftui, "-o", tmp_path / "out", "--", old_interp.path, "-c",
               "import signal, time; signal.signal(signal.SIGINT, signal.SIG_DFL); "
               "time.sleep(5)"], timeout=30)
    major, minor = old_interp.minor
    assert_error_line(res, EXIT["EXIT_VERSION"], rf"(?<![\d.]){major}\.{minor}(?!\d)")


def test_permission_denied(proftui, py, attach_target, tmp_path):
    """An unprivileged user may not read a root-owned Python process: exit 4
    and a message naming what is needed."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to the nobody user")
    target = attach_target(py)
    # a copy of the binary and an output directory the nobody user can reach
    # (the work tree may sit in a directory only root can enter)
    scratch = Path(tempfile.mkdtemp(prefix="proftui-perm-"))
    try:
        scratch.chmod(0o777)
        binary = scratch / "proftui"
        shutil.copy2(proftui, binary)
        binary.chmod(0o755)
        res = run([setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                   binary, "-p", target.pid, "-d", "1", "-o", scratch / "out"], timeout=30)
        assert_error_line(res, EXIT["EXIT_PERM"], r"CAP_SYS_PTRACE|ptrace_scope")
    finally:
        shutil.rmtree(scratch)
    target.assert_running_and_progressing()


# ---------------------------------------------------------------- output

def test_output_dir_missing_launched(proftui, tmp_path, sentinel):
    marker, cmd = sentinel
    out = tmp_path / "no-such-dir" / "profile.txt"
    res = run([proftui, "-o", out, "--", *cmd])
    assert_error_line(res, EXIT["EXIT_OUTPUT"], re.escape(str(out)))
    assert not marker.exists(), "the command must not be started when -o cannot be written"


def test_output_dir_missing_attached(proftui, py, attach_target, tmp_path):
    target = attach_target(py)
    out = tmp_path / "no-such-dir" / "profile.txt"
    res = run([proftui, "-p", target.pid, "-d", "1", "-o", out], timeout=30)
    assert_error_line(res, EXIT["EXIT_OUTPUT"], re.escape(str(out)))
    target.assert_running_and_progressing()


def test_no_terminal_without_output_launched(proftui, sentinel):
    """Without -o proftui wants the live view; with stdout a pipe it must say
    so (exit 9) instead of doing nothing."""
    marker, cmd = sentinel
    res = run([proftui, "--", *cmd])
    assert_error_line(res, EXIT["EXIT_TERMINAL"], r"terminal|tty|-o")
    assert not marker.exists(), "the command must not be started without a view"


def test_no_terminal_without_output_attached(proftui, py, attach_target):
    target = attach_target(py)
    res = run([proftui, "-p", target.pid], timeout=30)
    assert_error_line(res, EXIT["EXIT_TERMINAL"], r"terminal|tty|-o")
    target.assert_running_and_progressing()


def test_output_to_stdout(proftui, py, tmp_path):
    info = tmp_path / "info.json"
    res = run([proftui, "-o", "-", "--", py.path, Path(__file__).parent / "workloads" / "lines.py",
               info, "0.5"])
    assert res.returncode == 0, res.describe()
    assert not format_problems(res.stdout), format_problems(res.stdout)[:10]
    spin = py.qualname("Worker.spin")
    assert samples(Profile(res.stdout).select(leaf=spin)) >= 0.3 * 500, res.describe()


# ---------------------------------------------------------------- sampling options

@pytest.mark.parametrize("opts,interval", [
    (["-i", "5ms"], 5e-3), (["-i", "5000us"], 5e-3), (["--interval=5ms"], 5e-3),
    (["-i", "2.5ms"], 2.5e-3), (["-r", "200"], 5e-3), (["--rate", "200"], 5e-3),
], ids=["5ms", "5000us", "long-form", "2.5ms", "rate-200", "long-rate-200"])
def test_interval(proftui, py, tmp_path, opts, interval):
    """The interval option sets the metadata and the schedule: during a 1 s
    burn() each of the ~1 s / interval deadlines is either a sample or a
    round counted as missed (a loaded machine misses some)."""
    r = profile_workload(proftui, py, "short.py", [1.0], opts, tmp_path)
    assert r.result.returncode == 0 and r.profile is not None, r.describe()
    got = r.profile.seconds("interval")
    assert got is not None and abs(got - interval) < 1e-9, r.describe()
    assert r.profile.schedule_problem() is None, r.profile.schedule_problem() + r.describe()
    expected = r.info["burned"] / interval
    n = samples(r.profile.select(containing="burn"))
    missed = r.profile.meta_count("missed")
    assert n <= 1.15 * expected and n + missed >= 0.75 * expected, \
        f"{n} samples (+{missed} missed rounds) in burn(), expected about {expected:.0f}\n" \
        + r.describe()


def test_duration_ends_launched_command(proftui, py, tmp_path):
    """-d on a launched command: sampling stops, the command is terminated,
    the profile is written."""
    r = profile_workload(proftui, py, "forever.py", [], ["-d", "1"], tmp_path, timeout=30)
    assert r.result.elapsed < 10, r.describe()
    assert r.result.returncode in TERMINATED | {0}, r.describe()
    assert r.profile is not None, r.describe()
    n = samples(r.profile.select(leaf="loop_forever"))
    assert n >= 0.3 * 1000, r.describe()
    pid = r.info["pid"]
    wait_for(lambda: proc_state(pid) in (None, "Z"), 5, f"the command (pid {pid}) to end")
