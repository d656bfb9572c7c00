# SPDX-License-Identifier: MIT
"""Hostile and unlucky targets, signals and output safety (issue 5), each
against real processes: targets that exit, exec or are not Python at all,
zombies, PID 1 and kernel threads, 1,000 threads, threads and code objects
created and freed continuously, 5,000-deep recursion, names that try to
break the output format, permissions and sudo, proftui never writing into
or stopping a target, signals to proftui, atomic output, unwritable and full
file systems, a SIGWINCH storm on the live view, and a valgrind run.

Tests whose outcome depends on the interpreter's internals (discovery,
thread and frame walking, code objects, strings) run under every selected
interpreter (`hinterp`: all supported ones, or those PROFTUI_PYTHONS names);
the others use one Python (`py`)."""

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import time

import pytest

from harness import (TRUNCATED, WORKLOADS, Profile, assert_error_line, interpreter_params,
                     interpreter_variant_params, one_per_version_params, parametrized_here,
                     proc_state, proc_status_field, read_line, run, samples, wait_for)
from hostile import (EXIT, HOSTILE, NOBODY, TraceWatch, assert_reaped_or_alive,
                     assert_well_formed, describe, fill, foreign_frames, header_constant,
                     is_kernel_thread, leftovers, other_interpreter, public_copy, sanitizer_build,
                     scratch_dir, start_ready, system_interpreter,
                     tmpfs, traced_tasks, writable_memory_digest)

WALK_MAX_DEPTH = header_constant("walker.h", "WALK_MAX_DEPTH")
# statuses a launched command ended by proftui (SIGINT, SIGTERM, SIGKILL) may report
TERMINATED = {128 + signal.SIGINT, 128 + signal.SIGTERM, 128 + signal.SIGKILL}


# What the target does to its own memory (threads, frames, code objects,
# names), not where its runtime is found: once per CPython version.
PER_VERSION = pytest.mark.parametrize("hinterp", one_per_version_params())


def pytest_generate_tests(metafunc):
    if "hinterp" in metafunc.fixturenames and not parametrized_here(metafunc, "hinterp"):
        params = interpreter_params()
        if params:
            metafunc.parametrize("hinterp", params)
        else:
            metafunc.parametrize("hinterp", [pytest.param(None, marks=pytest.mark.skip(
                reason="PROFTUI_PYTHONS selects no interpreter on this machine"))], ids=["none"])


@pytest.fixture(scope="module")
def py():
    return system_interpreter()


def spin_target(spawn, interp, seconds, how="exit"):
    return start_ready(spawn, [interp.path, HOSTILE / "spin_exit.py", seconds, how],
                       "spin_exit.py")


# ================================================================ dying targets

def test_target_exits_while_attaching(proftui, hinterp, spawn, tmp_path):
    """The target exits at different moments of the attach (maps, ELF
    symbols, layout, first frame): proftui ends with a profile or with one
    documented error line, never a crash or a hang."""
    allowed = {0, EXIT["EXIT_NO_PROCESS"], EXIT["EXIT_NOT_PYTHON"], EXIT["EXIT_TARGET_GONE"]}
    outcomes = set()
    for i, delay in enumerate([0.0, 0.002, 0.005, 0.01, 0.02, 0.05]):
        target = spin_target(spawn, hinterp, delay)
        out = tmp_path / f"out-{i}.txt"
        res = run([proftui, "-p", target.pid, "-o", out], timeout=30)
        outcomes.add(res.returncode)
        assert res.returncode in allowed, describe(res, out)
        if res.returncode == 0:
            assert_well_formed(out.read_text(), allow_empty=True)
        else:
            assert_error_line(res, res.returncode)
            assert not out.exists(), "a failed attach must not leave a profile"
        assert not leftovers(tmp_path, out.name), leftovers(tmp_path, out.name)
        target.wait(timeout=30)
    # also before the interpreter is up: proftui races the exec and start-up
    target = spawn([hinterp.path, HOSTILE / "spin_exit.py", "0", "exit"], stdout=subprocess.PIPE)
    res = run([proftui, "-p", target.pid, "-o", tmp_path / "early.txt"], timeout=30)
    assert res.returncode in allowed, res.describe()


@pytest.mark.parametrize("hinterp,how", interpreter_variant_params(
    [pytest.param("exit", id="exit")], [pytest.param("kill", id="kill")]))
def test_target_exits_while_sampling(proftui, hinterp, spawn, tmp_path, how):
    """Attached, no --duration: the target ends (normally, with interpreter
    finalisation, or by SIGKILL in mid-computation); proftui notices, writes
    the profile and exits 0 promptly. The finalisation runs under every
    interpreter; the SIGKILL, after which every read fails whatever the
    interpreter, under two."""
    target = spin_target(spawn, hinterp, 1.0, how)
    out = tmp_path / "out.txt"
    start = time.monotonic()
    res = run([proftui, "-p", target.pid, "-o", out], timeout=30)
    assert res.returncode == 0, describe(res, out)
    assert time.monotonic() - start < 8, f"proftui took too long to notice the exit\n{res.describe()}"
    p = Profile.load(out)
    assert_well_formed(p.text)
    spin = p.select(leaf="spin")
    assert samples(spin) >= 100, p.summary()
    assert not foreign_frames(p, {str(HOSTILE / "spin_exit.py")}, [hinterp]), \
        foreign_frames(p, {str(HOSTILE / "spin_exit.py")}, [hinterp])[:5]


def test_target_execs_another_program(proftui, hinterp, spawn, tmp_path):
    """Attached to a Python that execs (same PID) into another CPython
    version, then into a program that is not Python: no garbage frame from
    memory that now means something else, no crash, and the profile keeps
    what was sampled before the exec."""
    other = other_interpreter(hinterp) or hinterp
    exec_into = HOSTILE / "exec_into.py"
    target = start_ready(spawn, [hinterp.path, exec_into, 0.7, other.path, HOSTILE / "exec_into.py",
                                 0.7, "/bin/sleep", "1"], "exec_into.py")
    out = tmp_path / "out.txt"
    with TraceWatch(target.pid) as watch:
        res = run([proftui, "-p", target.pid, "-d", "3", "-o", out], timeout=30)
    assert res.returncode == 0, describe(res, out)
    watch.assert_never_traced()
    p = Profile.load(out)
    assert_well_formed(p.text)
    assert samples(p.select(leaf="before_exec")) >= 50, p.summary()
    bad = foreign_frames(p, {str(exec_into)}, [hinterp, other])
    assert not bad, f"frames that are not from the workload: {bad[:5]}\n{p.summary()}"
    assert_reaped_or_alive(target)


def test_launched_command_execs_into_non_python(proftui, py, tmp_path):
    """The launched command execs into a program that is not Python: the
    profile has the Python part, proftui exits with the final program's
    status."""
    out = tmp_path / "out.txt"
    res = run([proftui, "-o", out, "--", py.path, HOSTILE / "exec_into.py", 0.7,
               "/bin/sh", "-c", "exit 3"], timeout=30)
    assert res.returncode == 3, describe(res, out)
    p = Profile.load(out)
    assert_well_formed(p.text)
    assert samples(p.select(leaf="before_exec")) >= 50, p.summary()


def test_zombie(proftui, py, spawn, tmp_path):
    parent = spawn([py.path, HOSTILE / "zombie_parent.py"], stdout=subprocess.PIPE,
                   stdin=subprocess.PIPE)
    zombie = int(read_line(parent, 30, "the zombie's pid").split()[1])
    wait_for(lambda: proc_state(zombie) == "Z", 10, "the child to become a zombie")
    res = run([proftui, "-p", zombie, "-o", tmp_path / "out"], timeout=30)
    assert_error_line(res, EXIT["EXIT_TARGET_GONE"], r"exited")
    assert proc_state(zombie) == "Z", "the zombie must be left to its parent"
    assert not (tmp_path / "out").exists()


def test_not_python_but_named_python(proftui, spawn, tmp_path):
    """A program that is not Python although its file is called python3.12:
    the name is not trusted, the missing _PyRuntime decides."""
    fake = tmp_path / "python3.12"
    shutil.copy2("/bin/sleep", fake)
    target = spawn([fake, "30"])
    wait_for(lambda: proc_state(target.pid) == "S", 10, "the fake python to sleep")
    res = run([proftui, "-p", target.pid, "-o", tmp_path / "out"], timeout=30)
    assert_error_line(res, EXIT["EXIT_NOT_PYTHON"], r"not a Python process")
    assert proc_state(target.pid) == "S" and not traced_tasks(target.pid)


def test_pid_1(proftui, tmp_path):
    """PID 1 is init (or a container's entry point): not readable (exit 4)
    or not Python (exit 5), one line, at once."""
    try:
        exe = os.readlink("/proc/1/exe")
    except OSError:
        exe = ""
    if "python" in os.path.basename(exe):
        pytest.skip(f"PID 1 is a Python process here ({exe})")
    res = run([proftui, "-p", "1", "-o", tmp_path / "out"], timeout=30)
    assert res.returncode in (EXIT["EXIT_PERM"], EXIT["EXIT_NOT_PYTHON"]), res.describe()
    assert_error_line(res, res.returncode, r"\b1\b")
    assert res.elapsed < 10, res.describe()


def test_kernel_thread(proftui, tmp_path):
    """A kernel thread has no user memory at all (kthreadd is PID 2)."""
    pid = next((p for p in [2] + sorted(int(d) for d in os.listdir("/proc") if d.isdigit())
                if is_kernel_thread(p)), None)
    if pid is None:
        pytest.skip("no kernel thread visible in /proc (PID namespace)")
    res = run([proftui, "-p", pid, "-o", tmp_path / "out"], timeout=30)
    assert_error_line(res, EXIT["EXIT_NOT_PYTHON"], rf"\b{pid}\b.*not a Python process")
    assert res.elapsed < 10, res.describe()


# ================================================================ many threads, deep stacks

@PER_VERSION
def test_thousand_threads(proftui, hinterp, spawn, tmp_path):
    """1,000 parked threads plus the main one: every thread shows up, each
    with its own stack, and the rounds stay bounded."""
    info = tmp_path / "info.json"
    target = start_ready(spawn, [hinterp.path, HOSTILE / "many_threads.py", info, 1000],
                         "many_threads.py", timeout=60, stdin=subprocess.PIPE)
    tids = set(json.loads(info.read_text())["tids"])
    assert len(tids) == 1000
    out = tmp_path / "out.txt"
    res = run([proftui, "-p", target.pid, "-d", "2", "-i", "20ms", "-o", out], timeout=60)
    assert res.returncode == 0, describe(res, out)
    p = Profile.load(out)
    assert_well_formed(p.text)
    seen = set(p.threads())
    assert tids <= seen, f"{len(tids - seen)} of the 1000 threads never sampled\n{p.summary()}"
    parked = {s.tid for s in p.stacks if "parked" in s.names()}
    assert tids <= parked, f"{len(tids - parked)} threads without their parked() frame"
    assert samples(p.select(tid=target.pid, leaf="main_spin")) >= 10, p.summary()
    assert_reaped_or_alive(target)


@PER_VERSION
def test_threads_created_and_destroyed(proftui, hinterp, tmp_path):
    """Threads start and end all the time (thread states linked, unlinked
    and freed while we walk the list): no crash, no garbage frame."""
    info, out = tmp_path / "info.json", tmp_path / "out.txt"
    script = HOSTILE / "thread_churn.py"
    res = run([proftui, "-o", out, "--", hinterp.path, script, info, 2], timeout=60)
    assert res.returncode == 0, describe(res, out)
    assert json.loads(info.read_text())["threads"] >= 200, "the workload churned too little"
    p = Profile.load(out)
    assert_well_formed(p.text)
    assert samples(p.select(leaf="short_lived")) >= 100, p.summary()
    assert len(p.threads()) >= 20, f"only {len(p.threads())} threads seen\n{p.summary()}"
    bad = foreign_frames(p, {str(script)}, [hinterp])
    assert not bad, f"frames that are not from the workload: {bad[:5]}"


@PER_VERSION
def test_recursion_5000_deep(proftui, hinterp, tmp_path):
    """5,000 frames: each sample keeps the innermost WALK_MAX_DEPTH frames
    under one [truncated] frame at the root, and sampling stays on time."""
    info, out = tmp_path / "info.json", tmp_path / "out.txt"
    seconds = 1.5
    res = run([proftui, "-i", "10ms", "-o", out, "--", hinterp.path,
               WORKLOADS / "recursion.py", info, seconds, 5000], timeout=60)
    assert res.returncode == 0, describe(res, out)
    p = Profile.load(out)
    assert_well_formed(p.text)
    deep = p.select(leaf="bottom")
    assert samples(deep) >= 0.3 * seconds / 10e-3, p.summary()
    for s in deep:
        raw = [f.raw for f in s.frames]
        assert raw[0] == TRUNCATED and raw.count(TRUNCATED) == 1, f"no [truncated] at the root: {s}"
        names = s.names()[1:]
        assert len(names) == WALK_MAX_DEPTH, f"{len(names)} frames kept, not {WALK_MAX_DEPTH}"
        assert names[-1] == "bottom" and set(names[:-1]) == {"descend"}, s
    assert res.elapsed < seconds + 20, f"sampling a deep stack is too slow\n{res.describe()}"
    taken = p.meta_count("samples")
    assert taken is not None and taken >= 0.5 * seconds / 10e-3, p.summary()


# ================================================================ code objects and names

GEN = re.compile(r"gen_(\d{8})")
GEN_FILE = re.compile(r"file_(\d{8})\.py")


@PER_VERSION
def test_code_objects_created_and_freed(proftui, hinterp, tmp_path):
    """exec/compile in a loop: each generation's function, file and line
    carry its number; memory of dead code objects and strings is reused at
    once. No frame may mix generations (a cache keyed by address must not
    give a dead function's name, file or line table to a new one)."""
    info, out = tmp_path / "info.json", tmp_path / "out.txt"
    res = run([proftui, "-o", out, "--", hinterp.path, HOSTILE / "code_churn.py", info, 3],
              timeout=60)
    assert res.returncode == 0, describe(res, out)
    assert json.loads(info.read_text())["generations"] >= 1000
    p = Profile.load(out)
    assert_well_formed(p.text)
    checked, wrong = 0, []
    for s in p.stacks:
        for f in s.frames:
            name = GEN.fullmatch(f.name)
            file = GEN_FILE.fullmatch(f.file or "")
            if not name and not file:
                continue
            # A function's `def` line is its first instruction's (RESUME on
            # 3.11+); a module's first instruction is on line 0 (3.12+), or
            # on co_firstlineno 1 before it has started.
            if f.name == "<module>" and file:       # the generation's module code
                ok = f.line in (0, 1, int(file.group(1)) % 97 + 1)
            else:
                ok = name and file and name.group(1) == file.group(1) \
                    and f.line - int(name.group(1)) % 97 in (1, 2)
            checked += s.count
            if not ok:
                wrong.append(f"{f.raw} x{s.count}")
    assert checked >= 300, f"too few samples in generated code ({checked})\n{p.summary()}"
    assert not wrong, f"{len(wrong)} frames mix generations: {wrong[:10]}"


def expected_text(text: str, limit: int) -> str:
    """What proftui prints for a name (include/collapsed.h): cut like
    pystr_read() cuts, then ';' -> ':' and control characters -> '?'."""
    data = text.encode()
    if len(data) > limit - 1:
        cut = text
        while len(cut.encode()) + 4 > limit:
            cut = cut[:-1]
        text = cut + "..."
    return "".join(":" if c == ";" else "?" if ord(c) < 0x20 or ord(c) == 0x7f
                   or 0x80 <= ord(c) <= 0x9f or c in "\u2028\u2029" else c for c in text)


@PER_VERSION
def test_hostile_names(proftui, hinterp, tmp_path):
    """Names 10,000 characters long, Cyrillic, CJK, emoji, with ';', spaces
    and newlines, in functions, files and a thread name: one well-formed
    line per stack, escaped as include/collapsed.h documents."""
    info, out = tmp_path / "info.json", tmp_path / "out.txt"
    res = run([proftui, "-o", out, "--", hinterp.path, HOSTILE / "hostile_names.py", info, 1.5],
              timeout=60)
    assert res.returncode == 0, describe(res, out)
    raw = out.read_bytes()
    raw.decode("utf-8")                      # valid UTF-8 throughout
    p = Profile(raw.decode())
    assert_well_formed(p.text)
    facts = json.loads(info.read_text())
    pystr_max = header_constant("pystr.h", "PYSTR_MAX")
    frames = {(f.name, f.file) for s in p.stacks for f in s.frames}
    for key, (name, file) in facts["funcs"].items():
        want = (expected_text(name, pystr_max), expected_text(file, pystr_max))
        assert want in frames, f"{key}: no frame {want[0][:80]!r} ({want[1][:80]!r})\n{p.summary()}"
    long_name = expected_text(facts["funcs"]["long"][0], pystr_max)
    assert long_name.endswith("...") and len(long_name.encode()) < pystr_max
    tid, tname = facts["thread"]
    label = p.threads().get(tid)
    assert label is not None, f"thread {tid} not sampled\n{p.summary()}"
    assert "\n" not in label and ";" not in label and label.startswith("thr:ead?name"), label


# ================================================================ permissions

def test_unprivileged_user_cannot_read_root_process(proftui, py, spawn):
    """As nobody, against a root-owned Python: exit 4, one line naming the
    fix, no output file, the target untouched."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv (util-linux)")
    target = spin_target(spawn, py, 60)
    with scratch_dir() as scratch, TraceWatch(target.pid) as watch:
        binary = public_copy(proftui, scratch)
        res = run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                   binary, "-p", target.pid, "-d", "1", "-o", scratch / "out"], timeout=30)
        assert_error_line(res, EXIT["EXIT_PERM"], r"CAP_SYS_PTRACE.*ptrace_scope|ptrace_scope.*CAP_SYS_PTRACE")
        assert not (scratch / "out").exists() and not leftovers(scratch, "out")
    watch.assert_never_traced()
    assert target.poll() is None and proc_state(target.pid) in ("R", "S")


def test_unprivileged_user_profiles_own_command(proftui, py):
    """Without any privilege, profiling one's own command works."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv (util-linux)")
    with scratch_dir() as scratch:
        binary = public_copy(proftui, scratch)
        script = public_copy(str(HOSTILE / "whoami.py"), scratch)
        res = run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                   binary, "-o", scratch / "out", "--", py.path, script, scratch / "who.json", 1],
                  timeout=30)
        assert res.returncode == 0, describe(res, scratch / "out")
        assert json.loads((scratch / "who.json").read_text())["uid"] == NOBODY
        p = Profile.load(scratch / "out")
        assert samples(p.select(leaf="work")) >= 100, p.summary()


@pytest.mark.parametrize("as_root", [False, True], ids=["sudo-user", "run-as-root"])
def test_sudo_runs_command_as_invoking_user(proftui, py, as_root):
    """`sudo proftui python app.py`: the command runs as SUDO_UID/SUDO_GID
    with no supplementary groups, unless --run-as-root."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    with scratch_dir() as scratch:
        env = dict(os.environ, SUDO_UID=str(NOBODY), SUDO_GID=str(NOBODY), SUDO_USER="nobody")
        who = scratch / "who.json"
        script = public_copy(str(HOSTILE / "whoami.py"), scratch)
        opts = ["--run-as-root"] if as_root else []
        res = run([proftui, *opts, "-o", scratch / "out", "--", py.path, script, who, 1],
                  timeout=30, env=env)
        assert res.returncode == 0, describe(res, scratch / "out")
        ids = json.loads(who.read_text())
        want = 0 if as_root else NOBODY
        assert (ids["uid"], ids["euid"], ids["gid"], ids["egid"]) == (want,) * 4, ids
        if not as_root:
            assert ids["groups"] == [], f"supplementary groups kept: {ids['groups']}"
        p = Profile.load(scratch / "out")
        assert samples(p.select(leaf="work")) >= 100, p.summary()
        assert (scratch / "out").stat().st_uid == 0, "the profile belongs to the one who ran proftui"


def test_never_writes_target_memory(proftui, py, spawn, tmp_path):
    """A target stopped with SIGSTOP (not ptrace) is profiled for a second:
    every writable byte of its memory is the same afterwards, no thread was
    ever traced, and it is still stopped exactly as we left it."""
    target = spin_target(spawn, py, 60)
    os.kill(target.pid, signal.SIGSTOP)
    try:
        wait_for(lambda: proc_state(target.pid) == "T", 10, "the target to stop")
        before = writable_memory_digest(target.pid)
        out = tmp_path / "out.txt"
        with TraceWatch(target.pid) as watch:
            res = run([proftui, "-p", target.pid, "-d", "1", "-o", out], timeout=30)
        assert res.returncode == 0, describe(res, out)
        watch.assert_never_traced()
        assert proc_state(target.pid) == "T"
        assert writable_memory_digest(target.pid) == before, "the target's memory changed"
        p = Profile.load(out)
        # stopped: one stack, wherever the stop caught it, in every sample
        main = p.select(tid=target.pid)
        assert len(main) == 1 and main[0].count >= 300, p.summary()
        assert main[0].leaf.name in ("spin", "main"), p.summary()
    finally:
        os.kill(target.pid, signal.SIGCONT)
    wait_for(lambda: proc_state(target.pid) == "R", 10, "the target to run again")


# ================================================================ signals

def start_profiling(spawn, proftui, args):
    prof = spawn([proftui, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: int(proc_status_field(prof.pid, "Threads") or 0) >= 2 or prof.poll() is not None,
             15, "proftui's sampling thread")
    assert prof.poll() is None, f"proftui exited early: {prof.returncode} {prof.stderr.read()}"
    return prof


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_signal_attached_writes_profile(proftui, py, spawn, tmp_path, sig):
    target = spin_target(spawn, py, 60)
    out = tmp_path / "out.txt"
    prof = start_profiling(spawn, proftui, ["-p", target.pid, "-o", out])
    time.sleep(0.5)                        # let it collect some samples
    os.kill(prof.pid, sig)
    prof.wait(timeout=10)
    assert prof.returncode == 0, prof.stderr.read().decode()
    p = Profile.load(out)
    assert_well_formed(p.text)
    assert samples(p.select(leaf="spin")) >= 100, p.summary()
    assert not leftovers(tmp_path, out.name)
    assert target.poll() is None and not traced_tasks(target.pid)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_signal_launched_writes_profile(proftui, py, spawn, tmp_path, sig):
    """Launched: the profile is complete, the command is ended and reaped,
    and proftui exits with the command's status."""
    out = tmp_path / "out.txt"
    prof = start_profiling(spawn, proftui, ["-o", out, "--", py.path, HOSTILE / "spin_exit.py",
                                            60, "exit"])
    child = int(read_line(prof, 30, "the command to start").split()[1])
    time.sleep(0.5)
    os.kill(prof.pid, sig)
    prof.wait(timeout=20)
    assert prof.returncode in TERMINATED, prof.stderr.read().decode()
    p = Profile.load(out)
    assert_well_formed(p.text)
    assert samples(p.select(leaf="spin")) >= 100, p.summary()
    assert proc_state(child) is None, "the launched command is still there"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_signal_before_sampling(proftui, py, spawn, tmp_path, sig):
    """A signal while proftui still waits for the command to become Python:
    it ends the command, says so in one line, exits 128+N, writes nothing."""
    out = tmp_path / "out.txt"
    prof = spawn([proftui, "-o", out, "--", "/bin/sh", "-c", f"sleep 2; exec {py.path} -c pass"],
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: any(proc_state(int(c)) for c in children(prof.pid)), 10, "the command")
    shell = children(prof.pid)[0]
    os.kill(prof.pid, sig)
    prof.wait(timeout=10)
    err = prof.stderr.read().decode()
    assert prof.returncode == 128 + sig, err
    assert len(err.splitlines()) == 1 and err.startswith("proftui: "), err
    assert not out.exists() and not leftovers(tmp_path, out.name)
    wait_for(lambda: proc_state(int(shell)) is None, 10, "the command to be ended")


def children(pid: int):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return f.read().split()
    except FileNotFoundError:
        return []


# ================================================================ output files

def test_output_replaced_atomically(proftui, py, spawn, tmp_path):
    """While proftui runs, the output path always holds either the old
    file or the complete new profile, never a partial one; afterwards no
    temporary file is left."""
    out = tmp_path / "out.txt"
    out.write_text("OLD PROFILE\n")
    prof = spawn([proftui, "-d", "2", "-o", out, "--", py.path, HOSTILE / "spin_exit.py", 60,
                  "exit"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = set()
    while prof.poll() is None:
        text = out.read_text(errors="replace")
        if text == "OLD PROFILE\n":
            seen.add("old")
        else:
            assert_well_formed(text)
            seen.add("new")
        time.sleep(0.002)
    assert prof.returncode in TERMINATED, prof.stderr.read().decode()
    assert "old" in seen
    p = Profile.load(out)
    assert_well_formed(p.text)
    assert samples(p.select(leaf="spin")) >= 300
    assert not leftovers(tmp_path, out.name), leftovers(tmp_path, out.name)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_output_kept_when_attach_fails(proftui, tmp_path):
    """A pre-existing file is replaced only by a successful profile."""
    out = tmp_path / "out.txt"
    out.write_text("OLD PROFILE\n")
    res = run([proftui, "-p", "2", "-o", out], timeout=30)
    assert res.returncode == EXIT["EXIT_NOT_PYTHON"], res.describe()
    assert out.read_text() == "OLD PROFILE\n"
    assert not leftovers(tmp_path, out.name)


def test_output_symlink_replaced_not_followed(proftui, py, tmp_path):
    """An output path that is a symbolic link: the link is replaced by the
    profile; the file it pointed to is never written (so a planted link
    cannot make proftui overwrite another file)."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "out.txt"
    out.symlink_to(victim)
    res = run([proftui, "-o", out, "--", py.path, HOSTILE / "spin_exit.py", 0.3, "exit"], timeout=30)
    assert res.returncode == 0, res.describe()
    assert victim.read_text() == "precious\n"
    assert not out.is_symlink()
    assert_well_formed(out.read_text())


def test_output_stdout_pipe(proftui, py):
    res = run([proftui, "-o", "-", "--", py.path, HOSTILE / "spin_exit.py", 0.5, "exit"],
              timeout=30)
    assert res.returncode == 0, res.describe()
    text = res.stdout[res.stdout.index("# proftui"):]     # after the command's "ready" line
    assert_well_formed(text)
    assert samples(Profile(text).select(leaf="spin")) >= 100


def test_output_fifo_written_directly(proftui, py, tmp_path):
    """A named pipe is written into, never replaced."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    res = run([proftui, "-o", fifo, "--", py.path, HOSTILE / "spin_exit.py", 0.5, "exit"],
              timeout=30)
    text = reader.communicate(timeout=30)[0].decode()
    assert res.returncode == 0, res.describe()
    assert stat.S_ISFIFO(fifo.lstat().st_mode), "the FIFO was replaced"
    assert_well_formed(text)
    assert not leftovers(tmp_path, "fifo")


@pytest.mark.parametrize("device,devminor", [("null", 3), ("full", 7)])
def test_output_device_written_directly(proftui, py, tmp_path, device, devminor):
    """A character device (private copies of /dev/null and /dev/full) is
    written into and never replaced; a full device gives exit 8."""
    if os.geteuid() != 0:
        pytest.skip("creating device nodes needs root")
    node = tmp_path / device
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, devminor))
        os.close(os.open(node, os.O_WRONLY))
    except PermissionError:
        pytest.skip("device nodes cannot be created or used here (nodev)")
    res = run([proftui, "-o", node, "--", py.path, HOSTILE / "spin_exit.py", 0.3, "exit"],
              timeout=30)
    assert stat.S_ISCHR(node.lstat().st_mode), "the device was replaced by a file"
    assert not leftovers(tmp_path, device)
    if device == "null":
        assert res.returncode == 0, res.describe()
    else:
        assert_error_line(res, EXIT["EXIT_OUTPUT"], r"No space left")


def test_unwritable_output_fails_before_sampling(proftui, py, spawn, tmp_path):
    """Output paths that cannot be written even by root (a read-only file
    system, a parent that is a file): exit 8 before anything starts; an
    attached target is left alone."""
    marker = tmp_path / "command-ran"
    cmd = [py.path, "-c", f"open({str(marker)!r}, 'w').close()"]
    (tmp_path / "file").write_text("")
    paths = [tmp_path / "file" / "out.txt"]
    with tmpfs("64k", readonly=True) as ro:
        paths.append(ro / "out.txt")
        for path in paths:
            res = run([proftui, "-o", path, "--", *cmd], timeout=30)
            assert_error_line(res, EXIT["EXIT_OUTPUT"], re.escape(str(path)))
            assert not marker.exists(), "the command ran although the output cannot be written"
        target = spin_target(spawn, py, 60)
        with TraceWatch(target.pid) as watch:
            res = run([proftui, "-p", target.pid, "-o", paths[-1]], timeout=30)
        assert_error_line(res, EXIT["EXIT_OUTPUT"], r"Read-only file system")
        watch.assert_never_traced()
        assert target.poll() is None


def test_full_file_system(proftui, py, spawn):
    """The profile does not fit: exit 8 with the reason, the old file and
    the target untouched, no partial or temporary file."""
    with tmpfs("64k") as fs:
        out = fs / "out.txt"
        out.write_text("OLD PROFILE\n")
        fill(fs)
        target = spin_target(spawn, py, 60)
        with TraceWatch(target.pid) as watch:
            res = run([proftui, "-p", target.pid, "-d", "1", "-o", out], timeout=30)
        assert_error_line(res, EXIT["EXIT_OUTPUT"], r"No space left on device")
        watch.assert_never_traced()
        assert out.read_text() == "OLD PROFILE\n"
        assert not leftovers(fs, out.name), leftovers(fs, out.name)
        assert target.poll() is None and proc_state(target.pid) in ("R", "S")


# ================================================================ live view

def test_sigwinch_storm(proftui, py):
    """Hundreds of resizes in a burst (every size from 20x5 up, each with a
    SIGWINCH) while the live view samples: no crash, no hang, the view lays
    itself out for the last size, q still quits and the terminal is
    restored. (test_ui.py covers single resizes.)"""
    pytest.importorskip("pyte")
    import termios
    from uidriver import LiveView
    view = LiveView([proftui, "--", py.path, HOSTILE / "spin_exit.py", 60, "exit"],
                    cols=120, lines=30)
    try:
        view.wait_for(lambda: view.rows(), "the first rows of the table")
        for i in range(400):
            view.resize(20 + (i * 37) % 180, 5 + (i * 13) % 60)
            view.pump(0)                   # keep the pty drained: proftui must never block
        view.resize(100, 30)
        view.wait_for(lambda: view.proc.poll() is not None or (
            view.footer().startswith("? Help") and any(r.func == "spin" for r in view.rows())),
            "the view laid out for 100x30 after the storm")
        assert view.proc.poll() is None, f"proftui died in the storm\n{view.describe()}"
        view.send("q")
        assert view.wait_exit() in TERMINATED | {0}, view.describe()
        lflag = view.tty_modes()
        assert lflag & termios.ICANON and lflag & termios.ECHO, "terminal left in raw mode"
    finally:
        view.close()


# ================================================================ valgrind

@pytest.mark.slow
def test_valgrind_memcheck(proftui, py, tmp_path):
    """A headless profile of a real target under valgrind: no invalid read
    or write, no use of uninitialised memory, no definite or indirect leak."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        pytest.skip("valgrind is not installed")
    if sanitizer_build(proftui):
        pytest.skip("valgrind cannot run a sanitizer build")
    out, log = tmp_path / "out.txt", tmp_path / "valgrind.log"
    res = run([valgrind, "--error-exitcode=99", "--leak-check=full",
               "--errors-for-leak-kinds=definite,indirect", "--trace-children=no",
               f"--log-file={log}", proftui, "-d", "2", "-i", "5ms", "-o", out, "--",
               py.path, HOSTILE / "hostile_names.py", tmp_path / "info.json", 30], timeout=240)
    report = log.read_text()
    assert res.returncode != 99, f"valgrind found errors:\n{report[-6000:]}"
    assert res.returncode in TERMINATED | {0}, describe(res, out) + report[-3000:]
    assert "ERROR SUMMARY: 0 errors" in report, report[-6000:]
    p = Profile.load(out)
    assert_well_formed(p.text)
    assert samples(p.stacks) >= 50, p.summary()
