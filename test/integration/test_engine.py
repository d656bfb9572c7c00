# SPDX-License-Identifier: MIT
"""The sampling engine against every CPython on the machine (issue 2, "Done
when"): names and exact current lines of a known workload, a deep recursion,
a named thread, time budgets in wall and --cpu mode, a 50 ms script, exit
status pass-through, attach by PID, wrappers and virtualenvs. What does not
depend on the interpreter runs under two (interpreter_variant_params); the
deep and failing stacks under one interpreter per version (PER_VERSION)."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from harness import (TRUNCATED, UNREADABLE, WORKLOADS, Profile, enclosing_function_lines,
                     format_problems, interpreter_variant_params, line_histogram, marker_line,
                     meson_version, missing_reason, one_per_version_params, parse_duration,
                     proc_status_field, profile_workload, pyenv_python, run, samples, shares,
                     supported_interpreters, wait_for)

INTERVAL = 1e-3          # proftui's default sampling interval
SHARE_TOLERANCE = 0.07   # +-7 percentage points
MIN_RATE = 0.1           # see enough()
LINES_SECONDS = 1.5
# The launch paths (a shell wrapper, a pyenv shim, a virtualenv) and -d:
# whether the interpreter is found and sampled, at the rate enough() asks;
# a shorter run asks for as large a share of its rounds.
LAUNCH_SECONDS = 0.5
ATTACH_SECONDS = 1.0


def expected_samples(seconds: float, interval: float = INTERVAL) -> float:
    return seconds / interval


def enough(seconds: float, interval: float = INTERVAL) -> float:
    """The fewest samples a run of `seconds` must yield: MIN_RATE of the
    rounds the interval asks for. On a loaded 2-core machine most rounds can
    be missed (and counted as missed, see Profile.schedule_problem), so this
    only catches a sampler that stalls or starts far too late; the rate
    itself is test_cli.py::test_interval's job."""
    return MIN_RATE * seconds / interval


def names_version(text, interp) -> bool:
    """`text` names interp's version: in full (3.10.13) or, where the target
    does not say its patch level (<= 3.10 has no Py_Version), as 3.10."""
    major, minor, micro = interp.version_info
    return bool(text) and re.search(rf"(?<![\d.]){major}\.{minor}(\.{micro})?(?!\.?\d)",
                                    text) is not None


# --cpu keeps a sample when the kernel says the thread is on a CPU
# (src/os/taskstat.c), by the thread id read from the target, which the wall
# variants and test_named_thread check under every interpreter: the --cpu
# variants are the same under each, and run under two (representative_interpreters()).
# Shares, names and states of the threads: the same whichever way a version
# is linked.
WALL_EVERYWHERE_CPU_ON_TWO = interpreter_variant_params(
    [pytest.param("wall", id="wall")], [pytest.param("cpu", id="cpu")], one_per_version_params())


# The walker against the interpreter's frames (deep and failing stacks):
# that changes with the version, not with how the interpreter is linked
# (Debian's static and shared 3.14.10 are one interpreter; where the
# runtime is found is the launch and attach tests', under both).
PER_VERSION = pytest.mark.parametrize("interp", one_per_version_params())


def assert_ran(run_, status: int = 0):
    assert run_.result.returncode == status, f"expected exit status {status}\n{run_.describe()}"
    assert run_.profile is not None, f"no profile written\n{run_.describe()}"
    assert run_.profile.stacks, f"profile has no stacks\n{run_.describe()}"


def dominant(hist):
    """(line, fraction of samples) of the most frequent line; (None, 0)
    when there are no samples at all."""
    if not hist:
        return None, 0.0
    line = max(hist, key=hist.get)
    return line, hist[line] / sum(hist.values())


# ---------------------------------------------------------------- coverage

def test_interpreter_present(minor):
    """One test per supported minor: skipped (with the reason) when the
    machine has no such CPython, so a missing version is never silently
    passed; otherwise the discovered interpreter must really be that minor."""
    found = [i for i in supported_interpreters() if i.minor == minor]
    if not found:
        pytest.skip(f"no CPython {minor[0]}.{minor[1]} on this machine "
                    "(neither /usr/bin/python3 nor any `pyenv versions` entry"
                    + (f"; {missing_reason(minor)})" if missing_reason(minor) else ")"))
    for interp in found:
        out = subprocess.run([interp.path, "-c", "import sys; print(sys.version_info[:2])"],
                             stdout=subprocess.PIPE, check=True, universal_newlines=True,
                             timeout=60).stdout
        assert out.strip() == str(minor), f"{interp.path} is not {minor}"


# ---------------------------------------------------------------- known lines

@pytest.fixture
def lines_run(interp, cached_workload):
    r = cached_workload(interp, "lines.py", [LINES_SECONDS])
    assert_ran(r)
    return r


def test_collapsed_format(interp, lines_run):
    problems = format_problems(lines_run.profile.text) + lines_run.profile.accounting_problems()
    assert not problems, "\n".join(problems[:20]) + "\n" + lines_run.describe()
    unknown = [f.raw for s in lines_run.profile.stacks for f in s.frames
               if f.file == str(lines_run.script) and f.line is None]
    assert not unknown, f"workload frames without a line number: {unknown[:10]}"


def test_metadata(interp, lines_run):
    p = lines_run.profile
    where = "\n" + lines_run.describe()
    tool = p.meta_value("proftui")
    assert tool is not None and meson_version() in tool, f"no proftui version{where}"
    assert names_version(p.meta_value("python"), interp), \
        f"python version should read {interp.version}{where}"
    assert p.meta_value("mode") is not None and "wall" in p.meta_value("mode"), f"mode{where}"
    interval = parse_duration(p.meta_value("interval") or "")
    assert interval is not None and abs(interval - INTERVAL) < 1e-9, f"interval 1ms{where}"
    seconds = p.seconds("duration")
    assert seconds is not None and LINES_SECONDS * 0.9 <= seconds <= lines_run.result.elapsed + 1, \
        f"duration should be about {LINES_SECONDS}s{where}"
    taken = p.meta_count("taken") if p.meta_count("taken") is not None else p.meta_count("sample")
    assert taken is not None and taken >= enough(LINES_SECONDS), \
        f"samples taken should be about {expected_samples(LINES_SECONDS):.0f}{where}"
    for word in ("missed", "failed", "lost"):
        assert p.meta_count(word) is not None, f"no '{word}' count{where}"
    assert p.schedule_problem() is None, p.schedule_problem() + where


def test_process_and_main_thread(interp, lines_run):
    info, p = lines_run.info, lines_run.profile
    assert {s.pid for s in p.stacks} == {info["pid"]}, lines_run.describe()
    assert p.threads() == {info["main_tid"]: "MainThread"}, lines_run.describe()


def test_hot_line_exact(interp, lines_run):
    script, p = lines_run.script, lines_run.profile
    spin = interp.qualname("Worker.spin")
    hot = marker_line(script, "HOT-LINE")
    stacks = p.select(leaf=spin)
    n = samples(stacks)
    assert n >= enough(LINES_SECONDS), \
        f"{spin} should be the leaf of ~{expected_samples(LINES_SECONDS):.0f} samples\n" \
        + lines_run.describe()
    hist = line_histogram(stacks, spin)
    body = enclosing_function_lines(script, hot)
    assert set(hist) <= set(body), f"{spin} reported outside its lines {body}: {hist}"
    line, frac = dominant(hist)
    assert line == hot and frac >= 0.95, \
        f"the current line of {spin} should be {hot} (HOT-LINE), got {hist}"
    assert all(s.leaf.file == str(script) for s in stacks), lines_run.describe()


def test_callers_at_call_lines(interp, lines_run):
    """Every sample in Worker.spin has exactly the chain <module> -> main ->
    caller -> spin, each caller at the line of its call, never its first line."""
    script, p = lines_run.script, lines_run.profile
    spin = interp.qualname("Worker.spin")
    expected = [("<module>", marker_line(script, "MODULE-CALL-LINE")),
                ("main", marker_line(script, "MAIN-CALL-LINE")),
                ("caller", marker_line(script, "CALL-LINE"))]
    stacks = p.select(leaf=spin)
    assert stacks, lines_run.describe()
    for s in stacks:
        got = [(f.name, f.line) for f in s.frames[:-1]]
        assert got == expected, f"stack {s}\nexpected callers {expected}"
        assert all(f.file == str(script) for f in s.frames), f"file names in {s}"


def test_qualified_names(interp, lines_run):
    names = {f.name for s in lines_run.profile.stacks for f in s.frames}
    if interp.has_qualname:
        assert "Worker.spin" in names and "spin" not in names, sorted(names)
    else:
        assert "spin" in names and "Worker.spin" not in names, sorted(names)


# ---------------------------------------------------------------- recursion

def recursion_chain(script: Path, depth: int):
    """(name, line) of every frame of the steady state, root first."""
    return ([("<module>", marker_line(script, "MODULE-CALL-LINE")),
             ("main", marker_line(script, "DESCEND-CALL-LINE"))]
            + [("descend", marker_line(script, "RECURSE-LINE"))] * (depth - 1)
            + [("descend", marker_line(script, "BOTTOM-CALL-LINE")),
               ("bottom", marker_line(script, "BOTTOM-HOT-LINE"))])


@PER_VERSION
def test_deep_recursion(interp, cached_workload):
    depth = 50
    r = cached_workload(interp, "recursion.py", [1.0, depth])
    assert_ran(r)
    chain = recursion_chain(r.script, depth)
    stacks = r.profile.select(leaf="bottom")
    n_bottom = samples(stacks)
    assert n_bottom >= enough(1.0), r.describe()
    exact = [s for s in stacks if [(f.name, f.line) for f in s.frames] == chain]
    assert samples(exact) >= 0.95 * n_bottom, \
        f"samples in bottom() should show <module>, main, {depth} x descend, bottom at " \
        f"their lines; only {samples(exact)}/{n_bottom} do\n{r.describe()}"
    assert all(s.names().count("descend") == depth for s in stacks), r.describe()


@PER_VERSION
def test_very_deep_stack_is_bounded(interp, cached_workload):
    """A 3000-deep recursion (deeper than any sane walk bound): each stack is
    either complete or carries one [truncated] frame at one end, with the
    rest a true slice of the chain."""
    depth = 3000
    r = cached_workload(interp, "recursion.py", [1.0, depth], ["-i", "10ms"])
    assert_ran(r)
    chain = recursion_chain(r.script, depth)
    # Stacks that could not be read are the single frame [unreadable]
    # (test_failed_stacks_keep_shares checks those); the others are checked.
    main = [s for s in r.profile.select(tid=r.info["pid"])
            if [f.raw for f in s.frames] != [UNREADABLE]]
    markers = {f.raw for st in main for f in st.frames if f.name.startswith("[truncated]")}
    assert markers <= {TRUNCATED}, f"the truncation mark must be the bare frame {TRUNCATED!r}, " \
        f"not {sorted(markers)}"
    assert {st.thread for st in main} == {"MainThread"}, \
        f"deep stacks lose the thread name: {sorted({st.thread for st in main})}"
    descend_lines = set(enclosing_function_lines(r.script, marker_line(r.script, "RECURSE-LINE")))
    good = 0
    for s in main:
        raw = [f.raw for f in s.frames]
        got = [(f.name, f.line) for f in s.frames if f.raw != TRUNCATED]
        if TRUNCATED in raw:
            assert raw.count(TRUNCATED) == 1 and raw.index(TRUNCATED) in (0, len(raw) - 1), \
                f"[truncated] must be one frame at an end of the stack: {s}"
            if raw[-1] == TRUNCATED:
                assert got == chain[:len(got)], f"not the outermost frames: {s}"
                good += s.count
            elif s.leaf.name == "bottom":
                assert got == chain[len(chain) - len(got):], f"not the innermost frames: {s}"
                good += s.count
            else:   # caught while recursing in or out: descend() frames only
                assert all(f.name == "descend" and f.line in descend_lines
                           for f in s.frames[1:]), f"not descend() frames: {s}"
        elif got == chain:
            good += s.count
    assert good >= 0.8 * samples(main), \
        f"only {good}/{samples(main)} samples are the (possibly truncated) chain\n{r.describe()}"
    assert good >= 10, r.describe()


# ---------------------------------------------------------------- threads

def test_named_thread(interp, cached_workload):
    r = cached_workload(interp, "threads.py", [1.5])
    assert_ran(r)
    info, p = r.info, r.profile
    threads = p.threads()
    assert threads.get(info["cruncher_tid"]) == "cruncher", f"{threads}\n{r.describe()}"
    assert threads.get(info["main_tid"]) == "MainThread", f"{threads}\n{r.describe()}"
    assert info["main_tid"] == info["pid"]

    crunching = p.select(containing="crunch")
    assert {s.tid for s in crunching} == {info["cruncher_tid"]}, \
        f"crunch() runs only in the cruncher thread\n{r.describe()}"
    cruncher = p.select(tid=info["cruncher_tid"])
    assert samples(crunching) >= enough(1.5), r.describe()
    assert samples(p.select(tid=info["cruncher_tid"], leaf="crunch")) >= 0.9 * samples(cruncher)
    line, frac = dominant(line_histogram(crunching, "crunch"))
    assert line == marker_line(r.script, "CRUNCH-LINE") and frac >= 0.95, r.describe()
    run_name = interp.qualname("Thread.run")
    for s in crunching:
        parent = s.frames[s.names().index("crunch") - 1]
        assert parent.name == run_name and parent.file.endswith("threading.py"), \
            f"crunch() is called by {run_name} in threading.py: {s}"

    main = p.select(tid=info["main_tid"])
    joining = [s for s in main if "main" in s.names()]
    assert samples(joining) >= enough(1.5), \
        f"wall mode must sample the waiting main thread too\n{r.describe()}"
    hist = {}
    for s in joining:
        f = s.frames[s.names().index("main")]
        hist[f.line] = hist.get(f.line, 0) + s.count
    line, frac = dominant(hist)
    assert line == marker_line(r.script, "JOIN-LINE") and frac >= 0.8, f"main() lines {hist}"


@pytest.mark.parametrize("interp,mode", WALL_EVERYWHERE_CPU_ON_TWO)
def test_thread_names_follow_changes(interp, mode, cached_workload):
    """A thread that sleeps before it first runs has its threading name, in
    --cpu mode too (it used to keep the executable's name), and a thread
    that renames itself after 0.5 s shows the new name."""
    r = cached_workload(interp, "names.py", [2.0], ["--cpu"] if mode == "cpu" else [])
    assert_ran(r)
    tids, threads = r.info["tids"], r.profile.threads()
    assert threads.get(tids["napper"]) == "napper", f"{threads}\n{r.describe()}"
    assert threads.get(tids["renamer"]) == "after", f"{threads}\n{r.describe()}"
    assert not r.profile.accounting_problems(), r.profile.accounting_problems()


# ---------------------------------------------------------------- losses

@PER_VERSION
def test_failed_stacks_keep_shares(interp, cached_workload):
    """Four busy threads, MainThread recursing (its stacks are the hardest
    to read): each keeps a quarter of the samples of the work within 3
    points, because a stack that cannot be read still counts for its thread,
    as the single frame [unreadable], counted per thread and reason in the
    metadata. The work is what the four do together (main's churn, the
    others' spin, and the unreadable stacks): main's start-up and the
    threads' start, longer on a busy machine, are not part of it."""
    seconds = 2.0
    r = cached_workload(interp, "shares.py", [seconds])
    assert_ran(r)
    p, tids = r.profile, r.info["tids"]
    problems = format_problems(p.text) + p.accounting_problems()
    assert not problems, "\n".join(problems[:20]) + "\n" + r.describe()
    work = {name: "churn" if name == "MainThread" else "spin" for name in tids}
    counts = {name: samples([s for s in p.select(tid=tid) if work[name] in s.names() or
                             [f.raw for f in s.frames] == [UNREADABLE]])
              for name, tid in tids.items()}
    total = sum(counts.values())
    assert total >= 4 * enough(seconds), f"{counts}\n{r.describe()}"
    meta = p.thread_meta()
    failed = {name: meta[tid].failed for name, tid in tids.items() if tid in meta}
    for name, n in counts.items():
        assert abs(n / total - 0.25) <= 0.03, \
            f"{name} has {n / total:.1%} of the samples, not 25 % ({counts}; failed {failed})\n" \
            + r.describe()
    unreadable = [s for s in p.stacks if UNREADABLE in [f.raw for f in s.frames]]
    assert all([f.raw for f in s.frames] == [UNREADABLE] for s in unreadable), unreadable[:5]
    assert samples(unreadable) == p.meta_count("failed"), r.describe()


def test_failed_stacks_under_only(interp, cached_workload):
    """With --only, a stack that could not be read stays the frame
    [unreadable] (it is not "outside your code") and the accounting still
    adds up."""
    r = cached_workload(interp, "shares.py", [1.0], ["--only", str(WORKLOADS / "shares.py")])
    assert_ran(r)
    p = r.profile
    problems = format_problems(p.text) + p.accounting_problems()
    assert not problems, "\n".join(problems[:20]) + "\n" + r.describe()
    assert p.meta_value("only") is not None, r.describe()
    spinning = [s for s in p.stacks if s.leaf is not None and s.leaf.name == "spin"]
    assert samples(spinning) >= enough(1.0), r.describe()


# ---------------------------------------------------------------- time budgets

@pytest.mark.parametrize("interp,mode", WALL_EVERYWHERE_CPU_ON_TWO)
def test_time_budgets(interp, mode, cached_workload):
    """busy_a gets 70% of each slice, busy_b 30%, both on CPU: the same
    shares in wall and --cpu mode; of the wall time the workload measured in
    each in wall mode, of the CPU time in --cpu mode (they differ when the
    machine is busy: waiting for a CPU is wall time, not CPU time)."""
    seconds = 2.0
    r = cached_workload(interp, "budgets.py", [seconds, 0.7], ["--cpu"] if mode == "cpu" else [])
    assert_ran(r)
    assert mode in (r.profile.meta_value("mode") or ""), r.describe()
    spent = r.info["spent"] if mode == "wall" else r.info["cpu"]
    expect_a = spent["busy_a"] / (spent["busy_a"] + spent["busy_b"])
    assert abs(expect_a - 0.7) < 0.2, f"the workload itself missed its budget: {r.info}"
    stacks = r.profile.select(tid=r.info["pid"], containing="alternate")
    assert samples(stacks) >= enough(seconds), r.describe()
    sh = shares(stacks)
    got_a = sh["busy_a"].total if "busy_a" in sh else 0.0
    got_b = sh["busy_b"].total if "busy_b" in sh else 0.0
    msg = f"busy_a {got_a:.3f} (expected {expect_a:.3f}), busy_b {got_b:.3f}\n{r.describe()}"
    assert abs(got_a - expect_a) <= SHARE_TOLERANCE, msg
    assert abs(got_b - (1 - expect_a)) <= SHARE_TOLERANCE, msg


def keep_cores_busy(spawn, interp):
    """One spinning process per core, until the test ends: a thread that
    wakes up then waits for a CPU (state R, not running)."""
    for _ in range(os.cpu_count() or 2):
        spawn([interp.path, "-c", "while True: pass"])


@pytest.mark.parametrize("interp,mode", WALL_EVERYWHERE_CPU_ON_TWO)
def test_cpu_mode_drops_sleep(interp, mode, cached_workload, spawn, proftui, tmp_path):
    """sleeper() sleeps half of the time, worker() computes the other half:
    50/50 in wall mode; in --cpu mode the sleeping samples are dropped. The
    --cpu run competes with a busy process per core, so that sleeper()
    wakes up into a wait for a CPU: still not on CPU, and the on-CPU samples
    follow the CPU time the workload measured, not the wall time."""
    seconds = 2.0
    if mode == "wall":
        r = cached_workload(interp, "sleepy.py", [seconds])
    else:
        keep_cores_busy(spawn, interp)
        r = profile_workload(proftui, interp, "sleepy.py", [seconds], ["--cpu"], tmp_path)
    assert_ran(r)
    spent, cpu = r.info["spent"], r.info["cpu"]
    expect_sleep = spent["sleeper"] / (spent["sleeper"] + spent["worker"])
    if mode == "wall":
        # The shares are judged against what the workload measured, so it
        # only has to have spent real time in both (a loaded machine wakes
        # sleeper() late and shifts the 50/50 plan).
        assert 0.1 < expect_sleep < 0.9, f"the workload itself missed its budget: {spent}"
    else:
        # Competing for the CPU makes worker() overrun its half and eat into
        # sleeper()'s: the workload only has to have slept, and computed
        # little while it was in sleeper().
        assert expect_sleep > 0.1 and cpu["sleeper"] < 0.1 * cpu["worker"], \
            f"the workload itself missed its budget: {r.info}"
    stacks = r.profile.select(tid=r.info["pid"], containing="drive")
    sh = shares(stacks)
    got_sleep = sh["sleeper"].total if "sleeper" in sh else 0.0
    got_work = sh["worker"].total if "worker" in sh else 0.0
    n = samples(stacks)
    msg = f"sleeper {got_sleep:.3f}, worker {got_work:.3f} of {n} samples\n{r.describe()}"
    if mode == "wall":
        assert n >= enough(seconds), msg
        assert abs(got_sleep - expect_sleep) <= SHARE_TOLERANCE, msg
        assert abs(got_work - (1 - expect_sleep)) <= SHARE_TOLERANCE, msg
        line, frac = dominant(line_histogram(stacks, "sleeper"))
        assert line == marker_line(r.script, "SLEEP-LINE") and frac >= 0.9, msg
    else:
        assert "cpu" in (r.profile.meta_value("mode") or ""), msg
        on_cpu = expected_samples(cpu["sleeper"] + cpu["worker"])
        # 30 % over, or 4 standard deviations of a count that size when
        # the competition left the workload little CPU time.
        most = on_cpu + max(0.3 * on_cpu, 4 * on_cpu ** 0.5)
        assert MIN_RATE * on_cpu <= n <= most, \
            f"expected about {on_cpu:.0f} on-CPU samples (CPU time {cpu}); {msg}"
        assert got_sleep <= SHARE_TOLERANCE, msg
        assert got_work >= 1 - SHARE_TOLERANCE, msg


# ---------------------------------------------------------------- lifecycle

def test_short_script_is_sampled(interp, proftui, tmp_path):
    """A script that computes for 50 ms and exits still yields samples."""
    r = profile_workload(proftui, interp, "short.py", [0.05], tmpdir=tmp_path)
    assert_ran(r)
    burned = samples(r.profile.select(containing="burn"))
    assert burned >= enough(r.info["burned"]), \
        f"only {burned} samples in a {r.info['burned'] * 1000:.0f} ms burn()\n{r.describe()}"


# The status is the one waitpid() gives proftui, the same whatever the
# interpreter; a normal exit (the interpreter finalising while sampled) runs
# under every interpreter, the other statuses under two.
@pytest.mark.parametrize("interp,how,number,status", interpreter_variant_params(
    [pytest.param("exit", 0, 0, id="exit-0")],
    [pytest.param("exit", 7, 7, id="exit-7"),
     pytest.param("signal", signal.SIGTERM, 128 + signal.SIGTERM, id="SIGTERM"),
     pytest.param("signal", signal.SIGKILL, 128 + signal.SIGKILL, id="SIGKILL")]))
def test_exit_status_passthrough(interp, proftui, tmp_path, how, number, status):
    r = profile_workload(proftui, interp, "exit_with.py", [how, int(number)], tmpdir=tmp_path)
    assert_ran(r, status)
    assert {s.pid for s in r.profile.stacks} == {r.info["pid"]}
    assert samples(r.profile.select(leaf="burn")) >= enough(0.2), r.describe()


def test_launch_through_shell_wrapper(interp, proftui, tmp_path):
    """The command is a shell that only later execs python: proftui must wait
    for the interpreter to appear in the same process."""
    wrapper = ["/bin/sh", "-c", 'sleep 0.3; exec "$@"', "sh", interp.path]
    r = profile_workload(proftui, interp, "lines.py", [LAUNCH_SECONDS], tmpdir=tmp_path,
                         python=wrapper)
    assert_ran(r)
    spin = interp.qualname("Worker.spin")
    assert samples(r.profile.select(leaf=spin)) >= enough(LAUNCH_SECONDS), r.describe()
    assert {s.pid for s in r.profile.stacks} == {r.info["pid"]}


def test_launch_through_pyenv_shim(interp, proftui, tmp_path):
    shim = pyenv_python(interp)
    if shim is None:
        pytest.skip(f"{interp.id} is not started through a pyenv shim")
    path, env = shim
    r = profile_workload(proftui, interp, "lines.py", [LAUNCH_SECONDS], tmpdir=tmp_path,
                         python=[path], env=env)
    assert_ran(r)
    spin = interp.qualname("Worker.spin")
    assert samples(r.profile.select(leaf=spin)) >= enough(LAUNCH_SECONDS), r.describe()
    assert names_version(r.profile.meta_value("python"), interp), r.describe()


def test_virtualenv(interp, proftui, tmp_path):
    """A venv with a copied interpreter executable (--copies)."""
    venv = tmp_path / "venv"
    subprocess.run([interp.path, "-m", "venv", "--copies", "--without-pip", venv],
                   check=True, timeout=120, stdin=subprocess.DEVNULL)
    r = profile_workload(proftui, interp, "lines.py", [LAUNCH_SECONDS], tmpdir=tmp_path / "run",
                         python=[venv / "bin" / "python3"])
    assert_ran(r)
    spin = interp.qualname("Worker.spin")
    stacks = r.profile.select(leaf=spin)
    assert samples(stacks) >= enough(LAUNCH_SECONDS), r.describe()
    line, _ = dominant(line_histogram(stacks, spin))
    assert line == marker_line(r.script, "HOT-LINE"), r.describe()


# ---------------------------------------------------------------- attach

def assert_attach_profile(out: Path, target, seconds: float):
    p = Profile.load(out)
    assert not format_problems(p.text), format_problems(p.text)[:10]
    assert p.schedule_problem() is None, p.schedule_problem() + "\n" + p.summary()
    assert {s.pid for s in p.stacks} == {target.pid}, p.summary()
    busy = p.select(leaf="keep_busy")
    assert samples(p.stacks) >= enough(seconds), p.summary()
    assert samples(busy) >= 0.7 * samples(p.stacks), f"keep_busy should dominate\n{p.summary()}"
    line, frac = dominant(line_histogram(busy, "keep_busy"))
    assert line == marker_line(WORKLOADS / "attach_target.py", "BUSY-LINE") and frac >= 0.95, \
        p.summary()


def test_attach_for_duration(interp, proftui, attach_target, tmp_path):
    target = attach_target(interp)
    out = tmp_path / "attach.txt"
    res = run([proftui, "-p", target.pid, "-d", str(ATTACH_SECONDS), "-o", out], timeout=30)
    assert res.returncode == 0, res.describe()
    assert 0.95 * ATTACH_SECONDS <= res.elapsed <= 10, \
        f"-d {ATTACH_SECONDS} should take about {ATTACH_SECONDS}s\n{res.describe()}"
    assert_attach_profile(out, target, ATTACH_SECONDS)
    target.assert_running_and_progressing()


# How proftui stops on a signal is its own (the attach and the profile are
# test_attach_for_duration's under every interpreter): two interpreters.
@pytest.mark.parametrize("interp,sig", interpreter_variant_params(
    [], [pytest.param(signal.SIGINT, id="SIGINT"), pytest.param(signal.SIGTERM, id="SIGTERM")]))
def test_attach_until_signal(interp, proftui, attach_target, spawn, tmp_path, sig):
    target = attach_target(interp)
    out = tmp_path / "attach.txt"
    prof = spawn([proftui, "-p", target.pid, "-o", out],
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # the sampler runs on its own thread (include/sampler.h): once it exists,
    # profile for a measured second, then ask proftui to stop.
    wait_for(lambda: prof.poll() is not None
             or int(proc_status_field(prof.pid, "Threads") or 0) >= 2,
             10, "proftui's sampling thread")
    assert prof.poll() is None, f"proftui exited early: {prof.returncode} {prof.stderr.read()}"
    time.sleep(1.0)
    os.kill(prof.pid, sig)
    try:
        prof.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail(f"proftui did not stop within 10s of {sig.name}")
    err = prof.stderr.read().decode()
    assert prof.returncode == 0, f"exit status {prof.returncode}; stderr: {err}"
    assert_attach_profile(out, target, 1.0)
    target.assert_running_and_progressing()
