# SPDX-License-Identifier: MIT
"""Following child processes (issue 10): the descendants of a launched
command or of -p PID that run CPython are sampled too, each thread under
its own process (P<pid> in the collapsed output). On every interpreter: a
multiprocessing Pool under the fork, spawn and forkserver start methods, a
subprocess child, attaching to a parent whose workers already run, a
process that execs into Python again. On two (the system Python and the
newest: what proftui does the same whatever the interpreter): the live
view's header counting its processes, on a pty; a child behind a shell; a
launched command that is a shell (the Pythons it starts are sampled, its
exit status is proftui's), or that execs into Python; idle workers' walks
reused; --no-subprocesses. On one: the process limit, and `uvicorn
--workers 2` under load from a loopback client (the system Python, with
Debian's python3-uvicorn).

Each worker reports its pid and the CPU time it spent in its work function
(time.process_time()); the profile is taken with --cpu, so each worker's
samples in that function must be there, under its pid, in proportion to
the CPU it reports (ratios within one run, never wall-clock asserts)."""

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Dict

import pytest

from harness import (WORKLOADS, Profile, Result, cpu_wide_perf_allowed, free_port, http_get,
                     interpreter_variant_params, one_per_version_params, proc_state, read_line,
                     run, supported_interpreters, wait_for)
from uidriver import LiveView

INTERVAL = 1e-3
SHARE_TOLERANCE = 0.15   # a worker's share of the samples vs of the CPU time, in points
MIN_RATE = 0.25          # samples of the work at least this fraction of its CPU time / interval
MAX_RATE = 1.5           # and at most this (--cpu: a sample is a round the thread was on CPU)
SCRIPT = WORKLOADS / "procs.py"


def reported(path: Path) -> Dict[int, float]:
    """pid -> CPU seconds its work took, from the workers' report file."""
    cpu: Dict[int, float] = {}
    for line in path.read_text().splitlines():
        pid, seconds = line.split()
        cpu[int(pid)] = cpu.get(int(pid), 0.0) + float(seconds)
    return cpu


def samples_by_pid(prof: Profile, func: str) -> Dict[int, int]:
    out: Dict[int, int] = {}
    for s in prof.stacks:
        if func in s.names():
            out[s.pid] = out.get(s.pid, 0) + s.count
    return out


def profile_procs(proftui: str, interp, tmp_path: Path, *args, opts=("--cpu",)):
    report = tmp_path / "report.txt"
    out = tmp_path / "profile.txt"
    res = run([proftui, "-o", out, *opts, "--", interp.path, SCRIPT, report, *args], timeout=120)
    assert res.returncode == 0, res.describe()
    prof = Profile.load(out)
    root = int(prof.meta["pid"].split()[0])
    return prof, root, reported(report), res


def check_workers(prof: Profile, root: int, cpu: Dict[int, float], func: str, res) -> None:
    """Every worker that reported CPU time appears under its own pid with
    samples of func, in proportion to its CPU time; the root is not one of
    them."""
    got = samples_by_pid(prof, func)
    context = (f"reported CPU by pid: {cpu}\nsamples of {func} by pid: {got}\n"
               f"{prof.summary()}\n{res.describe()}")
    assert cpu, "no worker reported\n" + context
    assert root not in cpu, context
    for pid in cpu:
        assert got.get(pid, 0) > 0, f"worker {pid} has no samples of {func}\n" + context
    assert set(got) <= set(cpu), f"{func} under a pid that did not run it\n" + context
    total_cpu, total = sum(cpu.values()), sum(got.values())
    assert MIN_RATE * total_cpu / INTERVAL <= total <= MAX_RATE * total_cpu / INTERVAL, \
        f"{total} samples of {func} for {total_cpu:.3f} s of CPU\n" + context
    for pid, seconds in cpu.items():
        share, expected = got[pid] / total, seconds / total_cpu
        assert abs(share - expected) <= SHARE_TOLERANCE, \
            f"worker {pid}: {share:.2f} of the samples for {expected:.2f} of the CPU\n" + context
    # A worker runs work() in its one thread (a forked worker's copies of
    # its parent's thread states name the parent's threads until it renews
    # them: no sample of the worker).
    strays = [str(s) for s in prof.stacks if s.pid in cpu and s.tid != s.pid]
    assert not strays, "worker samples under another thread:\n" + "\n".join(strays[:5]) + context


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_pool_workers(proftui, interp, tmp_path, method):
    """Pool(2).map(work, ...) with unequal tasks: each worker's work() under
    its own pid, in proportion to the CPU time it reports."""
    prof, root, cpu, res = profile_procs(proftui, interp, tmp_path, "pool", method, "0.2", "0.4")
    check_workers(prof, root, cpu, "work", res)
    assert samples_by_pid(prof, "main").get(root, 0) > 0, prof.summary()


# A child is opened the same way whatever its parent (under every
# interpreter); a shell in between, a shell as the command, a shell that
# execs into Python (as test_engine's shell wrapper, under every
# interpreter), --no-subprocesses and the reuse of idle workers' walks are
# how proftui follows the process tree and schedules its reads: the same
# whatever the interpreter, under two (representative_interpreters()).
ON_TWO = interpreter_variant_params([], [pytest.param(id="tree")])


@pytest.mark.parametrize("interp,how", interpreter_variant_params(
    [pytest.param("subprocess", id="subprocess")], [pytest.param("shell", id="shell")]))
def test_child_process(proftui, interp, tmp_path, how):
    """subprocess.run([sys.executable, child]) and the same through
    `sh -c "...; true"` (a shell in between that does not exec)."""
    prof, root, cpu, res = profile_procs(proftui, interp, tmp_path, how, "0.3")
    check_workers(prof, root, cpu, "child_work", res)


def test_exec_reopens(proftui, interp, tmp_path):
    """A forked child computes, then execs into Python again (same pid, new
    image): both halves are sampled under its pid, the second one in its
    new interpreter (the old one is retired when its reads fail, and the
    pid is opened again)."""
    prof, root, cpu, res = profile_procs(proftui, interp, tmp_path, "exec", "0.3")
    check_workers(prof, root, cpu, "child_work", res)
    (pid,) = cpu
    before = samples_by_pid(prof, "before_exec")
    assert set(before) == {pid}, f"before_exec by pid: {before}\n{prof.summary()}"
    # The same CPU time on both sides of the exec.
    after = samples_by_pid(prof, "child_work")[pid]
    assert 0.5 <= before[pid] / after <= 2, f"before {before[pid]}, after {after}\n{prof.summary()}"


@pytest.mark.parametrize("interp", ON_TWO)
def test_shell_is_the_command(proftui, interp, tmp_path):
    """proftui -- sh -c "python child; python child; exit 3": the shell is
    not Python; the two Pythons it starts one after the other are sampled,
    each under its pid, and proftui exits with the shell's status."""
    report, out = tmp_path / "report.txt", tmp_path / "profile.txt"
    child = f"'{interp.path}' '{SCRIPT}' '{report}' child"
    res = run([proftui, "-o", out, "--cpu", "--", "sh", "-c", f"{child} 0.2; {child} 0.4; exit 3"],
              timeout=120)
    assert res.returncode == 3, res.describe()
    prof = Profile.load(out)
    root = int(prof.meta["pid"].split()[0])
    cpu = reported(report)
    assert len(cpu) == 2, cpu
    check_workers(prof, root, cpu, "child_work", res)


@pytest.mark.parametrize("interp", ON_TWO)
def test_shell_execs_into_python(proftui, interp, tmp_path):
    """proftui -- sh -c "python child; exec python child": the first Python
    is a child of the shell (the target), then the shell itself execs into
    Python: it is opened then, and both are sampled, each under its pid."""
    report, out = tmp_path / "report.txt", tmp_path / "profile.txt"
    child = f"'{interp.path}' '{SCRIPT}' '{report}' child"
    # Wall time: in --cpu mode this root (a shell that waited for a child,
    # then exec'd) was, in about 1 run of 30, never seen on a CPU by
    # taskstat's arrivals - switches test although its stacks were read.
    res = run([proftui, "-o", out, "--", "sh", "-c", f"{child} 0.2; exec {child} 0.4"],
              timeout=120)
    assert res.returncode == 0, res.describe()
    prof = Profile.load(out)
    root = int(prof.meta["pid"].split()[0])
    cpu = reported(report)
    assert len(cpu) == 2 and root in cpu, f"{cpu}, root {root}"
    got = samples_by_pid(prof, "child_work")
    for pid, seconds in cpu.items():     # wall time >= CPU time: a lower bound only
        assert got.get(pid, 0) >= MIN_RATE * seconds / INTERVAL, \
            f"{got.get(pid, 0)} samples of child_work in {pid} for {seconds:.3f} s of CPU " \
            f"(root {root})\n{prof.summary()}"


@pytest.mark.parametrize("interp", ON_TWO)
def test_no_subprocesses(proftui, interp, tmp_path):
    """--no-subprocesses: only the root's pid, no work() at all."""
    prof, root, cpu, res = profile_procs(proftui, interp, tmp_path, "pool", "fork", "0.2", "0.2",
                                         opts=("--no-subprocesses",))
    assert len(cpu) >= 1, res.describe()
    assert {s.pid for s in prof.stacks} == {root}, prof.summary()
    assert not samples_by_pid(prof, "work"), prof.summary()


def test_attach_follows_workers(proftui, interp, tmp_path, spawn):
    """-p PID of a parent whose Pool workers already compute: the workers
    are found and sampled under their pids; the parent stays running."""
    proc = spawn([interp.path, SCRIPT, tmp_path / "report.txt", "serve", "60"],
                 stdout=subprocess.PIPE)
    words = read_line(proc, 30, "the parent to print 'ready'").split()
    assert words[:2] == ["ready", str(proc.pid)] and len(words) == 4, words
    workers = {int(w) for w in words[2:]}
    out = tmp_path / "profile.txt"
    res = run([proftui, "-p", proc.pid, "-d", "0.5", "--cpu", "-o", out], timeout=60)
    assert res.returncode == 0, res.describe()
    prof = Profile.load(out)
    got = samples_by_pid(prof, "spin")
    assert set(got) == workers, f"spin() by pid: {got}, workers {workers}\n{prof.summary()}"
    # Two busy workers: neither gets most of the samples.
    assert all(n >= 0.25 * sum(got.values()) for n in got.values()), got
    assert proc.poll() is None, "the attached parent must keep running"


# finding and reading the workers is the attach's (test_attach_follows_workers
# covers every build): one interpreter per version
@pytest.mark.parametrize("interp", one_per_version_params())
def test_dump_follows_workers(proftui, interp, tmp_path, spawn):
    """--dump -p PID of a parent whose Pool workers compute: each worker's
    stack follows the parent's, under its own pid, in JSON (subprocesses)
    and in text; --no-subprocesses dumps the parent alone."""
    proc = spawn([interp.path, SCRIPT, tmp_path / "report.txt", "serve", "60"],
                 stdout=subprocess.PIPE)
    words = read_line(proc, 30, "the parent to print 'ready'").split()
    assert words[:2] == ["ready", str(proc.pid)] and len(words) == 4, words
    workers = {int(w) for w in words[2:]}
    res = run([proftui, "--dump", "--json", "-p", proc.pid], timeout=60)
    assert res.returncode == 0, res.describe()
    d = json.loads(res.stdout)
    assert d["pid"] == proc.pid and any(t["name"] == "MainThread" for t in d["threads"]), d
    subs = {s["pid"]: s for s in d["subprocesses"]}
    assert set(subs) == workers, f"subprocesses {sorted(subs)}, workers {sorted(workers)}"
    for pid, s in subs.items():
        names = [f["name"] for t in s["threads"] for f in t["frames"]]
        assert "serve_forever" in names and s["python_version"] == d["python_version"], s
    text = run([proftui, "--dump", "-p", proc.pid], timeout=60)
    assert text.returncode == 0, text.describe()
    for pid in workers:
        assert f"Subprocess of PID {proc.pid}\nProcess {pid}: " in text.stdout, text.stdout
    alone = run([proftui, "--dump", "--json", "--no-subprocesses", "-p", proc.pid], timeout=60)
    assert alone.returncode == 0 and "subprocesses" not in json.loads(alone.stdout), alone.describe()
    assert proc.poll() is None, "the parent must keep running"


@pytest.mark.parametrize("interp", ON_TWO)
def test_idle_workers_every_round(proftui, interp, tmp_path, spawn):
    """-p PID of a parent whose two workers only sleep, 3 threads each:
    their walks are reused in most rounds (no thread of them ran, -v log),
    yet every thread of them has a sample in about every round, as the
    parent's main thread has, and every one of them is in idle_wait().
    Where the kernel's context-switch records are in use (root), the
    family's forks and execs say when to look for new descendants: an idle
    family is polled for them a few times, not every 20 ms (25 times in
    0.5 s)."""
    proc = spawn([interp.path, SCRIPT, tmp_path / "report.txt", "idle", "60"],
                 stdout=subprocess.PIPE)
    words = read_line(proc, 30, "the parent to print 'ready'").split()
    assert words[:2] == ["ready", str(proc.pid)] and len(words) == 4, words
    workers = {int(w) for w in words[2:]}
    out, log = tmp_path / "profile.txt", tmp_path / "log.txt"
    res = run([proftui, "-p", proc.pid, "-d", "0.5", "-v", log, "-o", out], timeout=60)
    assert res.returncode == 0, res.describe()
    prof = Profile.load(out)
    per_thread: Dict[tuple, int] = {}
    for s in prof.stacks:
        per_thread[(s.pid, s.tid)] = per_thread.get((s.pid, s.tid), 0) + s.count
        if s.pid in workers:
            assert "idle_wait" in s.names(), f"{s}\n{prof.summary()}"
    main = per_thread.get((proc.pid, proc.pid), 0)
    assert main > 0, prof.summary()
    threads = {k: n for k, n in per_thread.items() if k[0] in workers}
    assert len(threads) == 6, f"{threads}\n{prof.summary()}"
    # Found at the first poll (the first round): sampled from the second.
    assert all(n >= 0.95 * main for n in threads.values()), f"main {main}, workers {threads}"
    m = re.search(r"(\d+) of (\d+) rounds of a process reused its last walk", log.read_text())
    assert m and int(m[1]) > 0.5 * int(m[2]), log.read_text()
    polls = re.search(r"(\d+) polls for descendants", log.read_text())
    assert polls, log.read_text()
    states = re.search(r"thread states: from the kernel's context-switch records "
                       r"\(\d+ read, \d+ lost, (\d+) times read from /proc again\)", log.read_text())
    assert states or cpu_wide_perf_allowed() is not True, log.read_text()
    if states:
        # the first poll, one a second at most as a backstop, and one after
        # each loss of records (a machine busy with other work switches
        # often, and the records are of every task on each CPU)
        assert int(polls[1]) <= 2 + int(states[1]), log.read_text()
    assert proc.poll() is None, "the attached parent must keep running"


def _followed(pid: int) -> int:
    """How many processes proftui (pid) follows now: those whose threads'
    schedstat it keeps open (it looks at every thread of every process it
    follows, every round)."""
    pids = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return 0
    for fd in fds:
        try:
            m = re.match(r"/proc/(\d+)/task/\d+/schedstat$", os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            continue
        if m:
            pids.add(int(m[1]))
    return len(pids)


def test_process_limit(proftui, tmp_path, spawn):
    """More descendants than proftui follows at once (128, the command
    included): once all are there and 128 are followed, the 13 others are
    counted and said on stderr and in the -v log at the end, and the profile
    has 128 processes. One interpreter: this is the sampler's bound, not a
    Python matter."""
    interp = supported_interpreters()[0]
    out, log = tmp_path / "profile.txt", tmp_path / "log.txt"
    proc = spawn([proftui, "-i", "10ms", "-v", log, "-o", out, "--", interp.path, SCRIPT,
                  tmp_path / "report.txt", "many", "140", "120"],
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert read_line(proc, 60, "the 140 children to be forked") == "ready"
    wait_for(lambda: _followed(proc.pid) >= 128, 60, "128 processes followed")
    time.sleep(0.5)          # polls every 20 ms: the others are found full
    assert _followed(proc.pid) == 128
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    warning = "warning: 13 descendant processes were not sampled while 128 others were"
    assert warning in stderr.decode(errors="replace"), stderr
    assert warning in log.read_text(), log.read_text()
    prof = Profile.load(out)
    assert len({s.pid for s in prof.stacks}) == 128, prof.summary()


# The live view's header and thread stepping are the UI's, whatever the
# interpreter; the workers it counts are found and sampled the same way as
# in test_attach_follows_workers and test_pool_workers, which run under
# every interpreter: two interpreters.
@pytest.mark.parametrize("interp", interpreter_variant_params(
    [], [pytest.param(id="live")]))
def test_live_header_counts_processes(proftui, interp, tmp_path):
    """The live view's header: Procs 3 (the parent and its two workers),
    their threads, and CPU summed over them (the parent only sleeps, so
    CPU beyond a quarter of a core is the workers'); stepping through the
    threads (→) names each one's process. q ends the workers with the
    command."""
    log = tmp_path / "output.log"
    view = LiveView([proftui, "--child-output", log, "--", interp.path, SCRIPT,
                     tmp_path / "report.txt", "serve", "60"])
    try:
        view.wait_for(lambda: view.header().get("procs") == "3", "Procs 3 in the header")
        view.wait_for(lambda: int(view.header()["threads"]) >= 3, "the threads of all three")
        view.wait_for(lambda: float(view.header()["cpu"].rstrip("%")) > 25,
                      "CPU summed over the workers")
        words = wait_for(lambda: [line.split() for line in log.read_text().splitlines()
                                  if line.startswith("ready ")], 15, "the ready line")[0]
        workers = [int(w) for w in words[2:]]
        assert len(workers) == 2, words
        # Stepping through the threads names each one's process too.
        # (→ goes from all threads through each thread back to all threads.)
        seen, shown = set(), view.header()["view"]
        for _ in range(12):
            view.key("right")
            shown = view.wait_for(lambda: view.header()["view"] != shown and view.header()["view"],
                                  "the next thread")
            m = re.match(r"thread .* \(pid (\d+), tid \d+\)$", shown)
            assert m or shown == "all threads", shown
            if m:
                seen.add(int(m.group(1)))
        assert set(workers) <= seen, f"processes named {seen}, workers {workers}"
        view.send("q")
        view.wait_exit(30)
        wait_for(lambda: all(proc_state(w) in (None, "Z", "X") for w in workers), 15,
                 "the workers to end with the command")
    finally:
        view.close()


def _system_with_uvicorn():
    for i in supported_interpreters():
        if i.kind == "system" and subprocess.run([i.path, "-c", "import uvicorn"],
                                                 capture_output=True).returncode == 0:
            return i
    return None


def _get(port: int) -> bool:
    return http_get(port, timeout=5) == b"ok"


def test_uvicorn_workers(proftui, tmp_path, spawn):
    """uvicorn --workers 2 with load from a loopback client: each worker
    that served requests has busy_handler() under its own pid, in
    proportion to the CPU time it reports; the supervisor has none."""
    interp = _system_with_uvicorn()
    if interp is None:
        pytest.skip("the system Python has no uvicorn (Debian: apt install python3-uvicorn)")
    report, out, port = tmp_path / "report.txt", tmp_path / "profile.txt", free_port()
    prof = spawn([proftui, "--cpu", "-o", out, "--", interp.path, "-m", "uvicorn",
                  "uvicorn_app:app", "--workers", "2", "--port", str(port), "--log-level", "warning"],
                 cwd=WORKLOADS, env=dict(os.environ, PROCS_REPORT=str(report)),
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: _get(port) or prof.poll() is not None, 30, "uvicorn to answer")
    assert prof.poll() is None, prof.communicate()
    # Load until both workers served a good number of requests (bounded).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for _ in range(50):
            _get(port)
        cpu = reported(report)
        if len(cpu) == 2 and min(cpu.values()) > 0.2:
            break
    prof.send_signal(signal.SIGINT)
    stdout, stderr = prof.communicate(timeout=60)
    assert out.exists(), stderr
    profile = Profile.load(out)
    root = int(profile.meta["pid"].split()[0])
    cpu = reported(report)
    assert len(cpu) == 2, f"requests served by {cpu}"
    res = Result([str(a) for a in prof.args], prof.returncode, stdout.decode(errors="replace"),
                 stderr.decode(errors="replace"), 0.0)
    check_workers(profile, root, cpu, "busy_handler", res)
