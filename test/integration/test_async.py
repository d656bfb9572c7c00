# SPDX-License-Identifier: MIT
"""asyncio tasks (issue 13): with --async every task of the event loop is
sampled each round, by name, under its thread: a running task with its
part of the thread's stack, a suspended one with its coroutine chain down
to the await it is parked on, and a task awaited by another under that
one. In wall mode each task's samples are its wall time; in cpu mode only
the running task gets the sample, so the tasks' shares are their shares
of the CPU, compared with what the workload measured of itself.

The workload (workloads/asyncapp.py): fetcher-1..3 parked in fetch_page,
cruncher burning CPU in crunch(), handler awaiting a gather of child-1 and
child-2, which burn CPU in work(). Shares are compared within one run.
"""

import json
import re
import signal
import subprocess
import threading
from typing import Dict, List

import pytest

from harness import (WORKLOADS, Profile, assert_error_line, free_port, http_get, interpreter_params,
                     marker_line, one_per_version_params, profile_workload, run, samples,
                     selected_interpreters, wait_for)
from uidriver import LiveView  # noqa: F401

from test_format_pprof import go_pprof, tag_counts
from test_modes import select_line
from test_ui import launch, live  # noqa: F401  (fixtures)

SECONDS = 2.5
TASK_RE = re.compile(r"\[task (?P<name>.*)\]$")


def async_params(params=None) -> list:
    """interpreter_params() (or params) of CPython 3.11+ (--async needs it)."""
    out = []
    for p in params if params is not None else interpreter_params():
        interp = p.values[0]
        minor = interp.minor if interp is not None else tuple(
            int(x) for x in re.search(r"(\d+)\.(\d+)", p.id).groups())
        if minor >= (3, 11):
            out.append(p)
    return out or [pytest.param(None, id="none", marks=pytest.mark.skip(
        reason="no CPython 3.11+ selected on this machine"))]


def tasks_of(stack) -> List[str]:
    """The task names on a stack, root first."""
    return [m["name"] for m in (TASK_RE.match(f.raw) for f in stack.frames) if m]


def by_task(profile) -> Dict[str, List]:
    """Stacks by their innermost task."""
    out: Dict[str, List] = {}
    for s in profile.stacks:
        names = tasks_of(s)
        if names:
            out.setdefault(names[-1], []).append(s)
    return out


def after_task(stack, name: str) -> List[str]:
    """The frame names after [task NAME] on the stack, up to the next task."""
    names = stack.names()
    i = names.index(f"[task {name}]")
    rest = names[i + 1:]
    for j, n in enumerate(rest):
        if n.startswith("[task "):
            return rest[:j]
    return rest


@pytest.mark.parametrize("interp", async_params())
def test_tasks_by_name_in_wall_time(interp, proftui, tmp_path):
    """Wall mode: every task by name, each with about the same samples (a
    task's samples are its wall time, and all live through the run); the
    fetchers parked in fetch_page at its await, in asyncio's sleep; the
    cruncher in crunch(); the children under the handler that gathers
    them; the thread's own stacks left out of the file."""
    r = profile_workload(proftui, interp, "asyncapp.py", [SECONDS], ["--async"], tmp_path)
    assert r.result.returncode == 0 and r.profile is not None, r.describe()
    tasks = by_task(r.profile)
    want = {"fetcher-1", "fetcher-2", "fetcher-3", "cruncher", "handler", "child-1", "child-2"}
    assert want <= set(tasks), f"{sorted(tasks)}\n{r.describe()}"
    counts = {name: samples(tasks[name]) for name in want}
    assert min(counts.values()) >= 200, f"{counts}\n{r.describe()}"
    assert min(counts.values()) >= 0.8 * max(counts.values()), f"{counts}\n{r.describe()}"
    fetch_line = marker_line(r.script, "FETCH-AWAIT")
    for i in (1, 2, 3):
        parked = [s for s in tasks[f"fetcher-{i}"]
                  if after_task(s, f"fetcher-{i}")[:2] == ["fetch_page", "sleep"]
                  and s.frames[s.names().index("fetch_page")].line == fetch_line]
        assert samples(parked) >= 0.9 * counts[f"fetcher-{i}"], r.describe()
    crunch = [s for s in tasks["cruncher"] if after_task(s, "cruncher")[:1] == ["crunch"]]
    assert samples(crunch) >= 0.9 * counts["cruncher"], r.describe()
    for child in ("child-1", "child-2"):
        under = [s for s in tasks[child] if tasks_of(s)[-2:] == ["handler", child]
                 and after_task(s, "handler") == ["handle"] and after_task(s, child)[:1] == ["work"]]
        assert samples(under) >= 0.8 * counts[child], f"{child}\n{r.describe()}"
    assert not [s for s in r.profile.stacks if not tasks_of(s)
                and "[unreadable]" not in s.names()], r.describe()


# Where asyncio's structures are found depends on how the interpreter is
# linked (test_tasks_by_name_in_wall_time: every build); shares and the live
# view depend only on its version.
@pytest.mark.timing
@pytest.mark.parametrize("interp", async_params(one_per_version_params()))
def test_task_cpu_shares(interp, proftui, tmp_path):
    """cpu mode: only the running task gets a sample; the cruncher's share
    of the burning tasks' samples is its share of their CPU time as the
    workload measured it, within 3 points; the parked fetchers get none."""
    r = profile_workload(proftui, interp, "asyncapp.py", [SECONDS], ["--async", "--mode", "cpu"],
                         tmp_path)
    assert r.result.returncode == 0 and r.profile is not None and r.info, r.describe()
    tasks = by_task(r.profile)
    cpu = r.info["cpu"]
    counted = {name: samples(tasks.get(name, [])) for name in cpu}
    total = sum(counted.values())
    assert total >= 300, f"{counted}\n{r.describe()}"
    truth = cpu["cruncher"] / sum(cpu.values())
    share = counted["cruncher"] / total
    assert abs(share - truth) <= 0.03, \
        f"cruncher {share:.3f} of the samples, {truth:.3f} of the CPU\n{counted} {cpu}\n{r.describe()}"
    parked = sum(samples(tasks.get(f"fetcher-{i}", [])) for i in (1, 2, 3))
    assert parked <= 0.01 * total, f"fetchers {parked} of {total}\n{r.describe()}"


@pytest.mark.timing
@pytest.mark.parametrize("interp", async_params(one_per_version_params()))
def test_live_task_cpu_shares(live, interp, tmp_path):  # noqa: F811
    """The live view in cpu mode: once the program has finished, the
    tasks' rows (%TOTAL of [task NAME]) give the cruncher's share of the
    burning tasks' CPU as the workload measured it, within 3 points, the
    same check as the headless one but read off the screen."""
    info = tmp_path / "info.json"
    view = launch(live, interp, "../workloads/asyncapp.py", info, str(SECONDS),
                  opts=("--async", "--mode", "cpu"))
    view.wait_for(lambda: "FINISHED" in view.header().get("state", "") and info.exists()
                  and info.stat().st_size, "the program finished")
    names = ("cruncher", "child-1", "child-2")
    view.wait_for(lambda: all(view.row(f"[task {n}]") for n in names), "the burning tasks' rows")
    shown = {n: view.row(f"[task {n}]").total_pct for n in names}
    cpu = json.loads(info.read_text())["cpu"]
    truth = cpu["cruncher"] / sum(cpu.values())
    share = shown["cruncher"] / sum(shown.values())
    assert abs(share - truth) <= 0.03, \
        f"cruncher {share:.3f} on screen, {truth:.3f} of the CPU\n{shown} {cpu}\n{view.describe()}"


def profile_idle_tasks(proftui, interp, n: int, seconds: float, tmp_path) -> Profile:
    """workloads/idle_tasks.py with n idle tasks, attached with --async
    for `seconds` once every task has started: the profile."""
    return profile_idle_tasks_side_by_side(proftui, interp, [n], seconds, tmp_path)[0]


def profile_idle_tasks_side_by_side(proftui, interp, ns: List[int], seconds: float,
                                    tmp_path) -> List[Profile]:
    """One workloads/idle_tasks.py for each n of ns idle tasks, each
    attached with --async for `seconds`, all at the same time (the same
    machine, the same load) once every task has started: the profiles."""
    procs, runs = [], []
    try:
        for k, n in enumerate(ns):
            info = tmp_path / f"info{k}.json"
            procs.append((subprocess.Popen([interp.path, WORKLOADS / "idle_tasks.py", info, str(n), "60"]),
                          info))
        for _, info in procs:
            wait_for(lambda: info.exists() and info.stat().st_size, 120, "the tasks started")
        for k, (proc, _) in enumerate(procs):
            runs.append(subprocess.Popen([proftui, "-p", str(proc.pid), "--async", "-d", f"{seconds}s",
                                          "-o", tmp_path / f"p{k}.txt"],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        for r in runs:
            _, err = r.communicate(timeout=60 + 10 * seconds)
            assert r.returncode == 0, err
    finally:
        for p in runs + [proc for proc, _ in procs]:
            if p.poll() is None:
                p.kill()
            p.wait()
    return [Profile.load(tmp_path / f"p{k}.txt") for k in range(len(ns))]


@pytest.mark.parametrize("interp", async_params(one_per_version_params()))
def test_idle_tasks_wall_time(interp, proftui, tmp_path):
    """3,000 idle tasks are read in turn, a few a round, each read standing
    for the rounds since its last; the waiting time since a task's last
    read is recorded when the run ends (and every second). Every task
    lives the whole run, so every task read has about the same samples,
    whether its last read was early or late in the run; each sits in
    park() at its await."""
    n = 3000
    prof = profile_idle_tasks(proftui, interp, n, 4, tmp_path)
    tasks = by_task(prof)
    idle = {name: samples(st) for name, st in tasks.items() if name.startswith("idle-")}
    assert len(idle) >= n // 2, f"{len(idle)} idle tasks read of {n}"
    low, high = min(idle.values()), max(idle.values())
    assert low >= 0.95 * high, f"idle tasks' samples from {low} to {high}"
    parked = [s for name in idle for s in tasks[name] if after_task(s, name)[:1] == ["park"]]
    assert samples(parked) >= 0.99 * sum(idle.values())


def _listing_kinds():
    """One 3.11-3.13 interpreter (tasks listed from asyncio's registries)
    and one 3.14+ (from the thread states' lists), the first of each."""
    out = {}
    for i in selected_interpreters():
        if i.minor >= (3, 11):
            out.setdefault("registry" if i.minor < (3, 14) else "threads", i)
    return [pytest.param(i, id=k) for k, i in sorted(out.items())] or [
        pytest.param(None, id="none", marks=pytest.mark.skip(reason="no CPython 3.11+ selected"))]


@pytest.mark.timing
@pytest.mark.parametrize("interp", _listing_kinds())
def test_100k_tasks_do_not_stall(interp, proftui, tmp_path):
    """100,000 idle tasks: the rounds go on (a few tasks are read a round,
    the rest in turn; a 3.14+ listing of them all, a read per task, is
    paced by its cost), most rounds are delivered, and the busy task, read
    among them, has its wall time. Delivered against a program of 100 idle
    tasks profiled beside it for as long: on a busy machine both lose
    rounds to the load (an absolute bound of 75 % failed once at 66 %);
    100,000 tasks must not cost a quarter of what the machine leaves."""
    prof, few = profile_idle_tasks_side_by_side(proftui, interp, [100000, 100], 3, tmp_path)
    taken, missed = prof.meta_count("sample"), prof.meta_count("missed")
    few_taken, few_missed = few.meta_count("sample"), few.meta_count("missed")
    delivered = taken / max(1, taken + missed)
    base = few_taken / max(1, few_taken + few_missed)
    assert few_taken > 0 and delivered >= 0.75 * base, \
        f"{taken} rounds taken, {missed} missed; with 100 tasks beside it {few_taken}, {few_missed}"
    busy = samples(by_task(prof).get("busy", []))
    assert busy >= 0.5 * taken, f"busy task {busy} samples in {taken} rounds"


def test_uvloop_tasks(proftui, tmp_path):
    """uvloop's loop keeps no _thread_id a reader can see: its tasks go
    under the thread where its running task's coroutine is found (and the
    thread is remembered for the loop while it waits), not under
    "[no running loop]"; every task by name, the fetchers parked in
    fetch_page, the cruncher in crunch(), next to nothing unreadable."""
    interp = next((i for i in selected_interpreters() if i.kind == "system" and i.minor >= (3, 11)
                   and subprocess.run([i.path, "-c", "import uvloop"],
                                      capture_output=True).returncode == 0), None)
    if interp is None:
        pytest.skip("no system CPython 3.11+ with uvloop (Debian: python3-uvloop) selected")
    r = profile_workload(proftui, interp, "asyncapp.py", [SECONDS, "uvloop"], ["--async"], tmp_path)
    assert r.result.returncode == 0 and r.profile is not None, r.describe()
    tasks = by_task(r.profile)
    want = {"fetcher-1", "fetcher-2", "fetcher-3", "cruncher", "handler", "child-1", "child-2"}
    assert want <= set(tasks), f"{sorted(tasks)}\n{r.describe()}"
    counts = {name: samples(tasks[name]) for name in want}
    assert min(counts.values()) >= 0.8 * max(counts.values()), f"{counts}\n{r.describe()}"
    every = samples(r.profile.stacks)
    no_loop = samples([s for s in r.profile.stacks if "[no running loop]" in s.names()])
    unreadable = samples([s for s in r.profile.stacks if "[unreadable]" in s.names()])
    assert no_loop == 0 and unreadable <= 0.02 * every, f"{no_loop} {unreadable} {every}\n{r.describe()}"
    for i in (1, 2, 3):
        parked = [s for s in tasks[f"fetcher-{i}"] if after_task(s, f"fetcher-{i}")[:1] == ["fetch_page"]]
        assert samples(parked) >= 0.9 * counts[f"fetcher-{i}"], r.describe()
    crunch = [s for s in tasks["cruncher"] if after_task(s, "cruncher")[:1] == ["crunch"]]
    assert samples(crunch) >= 0.9 * counts["cruncher"], r.describe()


def test_async_needs_311(proftui, tmp_path):
    """Before 3.11 asyncio's tasks cannot be read: --async says so in one
    line, exit status 6 (unsupported Python)."""
    old = [i for i in selected_interpreters() if i.minor < (3, 11)]
    if not old:
        pytest.skip("no CPython 3.8-3.10 selected on this machine")
    interp = min(old, key=lambda i: i.version_info)
    res = run([proftui, "--async", "-o", tmp_path / "p.txt", "--", interp.path, "-c",
               "import time; time.sleep(30)"])
    assert_error_line(res, 6, r"--async needs CPython 3\.11 or newer")
    assert not (tmp_path / "p.txt").exists() or not (tmp_path / "p.txt").read_text().strip()


@pytest.mark.parametrize("interp", async_params(one_per_version_params()))
def test_live_task_view(live, interp):  # noqa: F811
    """The live view with --async starts on the task stacks (the header
    counts the tasks); the threads view (T) lists the tasks, and Enter on
    one shows that task alone in the other views, on the first row every
    task again; a switches to the thread stacks (the event loop's frames,
    no task) and back."""
    view = launch(live, interp, "../workloads/asyncapp.py", "/dev/null", "60", opts=("--async",))
    # the seven and asyncio.run's own main task, Task-1
    view.wait_for(lambda: view.header().get("tasks") == "8", "eight tasks in the header")
    view.wait_for(lambda: view.row("[task fetcher-1]") and view.row("[task cruncher]")
                  and view.row("fetch_page"), "task rows")
    view.send("T")
    view.wait_text(r"task cruncher")
    select_line(view, r"task cruncher\b")
    view.send("\r")
    view.wait_for(lambda: view.header().get("view") == "task cruncher" and view.row("crunch")
                  and not view.row("fetch_page") and not view.row("[task fetcher-1]")
                  and not view.row("work"), "the cruncher alone")
    cruncher = view.row("[task cruncher]")
    assert cruncher is not None and cruncher.total_pct >= 99.0, view.describe()
    view.send("T")
    select_line(view, r"all \(")
    view.send("\r")
    view.wait_for(lambda: view.header().get("view") == "all threads" and view.row("fetch_page")
                  and view.row("crunch"), "every task again")
    view.send("a2")                     # the threads' own stacks, sorted by TOTAL
    view.wait_for(lambda: not view.row("[task cruncher]") and view.row("crunch")
                  and any(r.func.endswith("run_forever") for r in view.rows()),
                  "the thread's own stacks")
    view.send("a")
    view.wait_for(lambda: view.row("[task cruncher]"), "the task stacks again")


def _system_with_fastapi():
    for i in selected_interpreters():
        if i.kind == "system" and i.minor >= (3, 11) and subprocess.run(
                [i.path, "-c", "import uvicorn, fastapi"], capture_output=True).returncode == 0:
            return i
    return None


def test_fastapi_routes(proftui, tmp_path, spawn):
    """A FastAPI app under uvicorn (Debian's packages, the system Python)
    with loopback load on a route that computes and one that awaits a slow
    dependency: the task stacks put compute() under the computing route's
    task, and the awaiting route's time at its dependency's await, parked
    in asyncio's sleep."""
    interp = _system_with_fastapi()
    if interp is None:
        pytest.skip("the system Python (3.11+) has no uvicorn and fastapi "
                    "(Debian: apt install python3-uvicorn python3-fastapi)")
    out, port = tmp_path / "profile.txt", free_port()
    prof = spawn([proftui, "--async", "-o", out, "--", interp.path, "-m", "uvicorn",
                  "fastapi_app:app", "--port", str(port), "--log-level", "warning"],
                 cwd=WORKLOADS, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: http_get(port, "/cpu") is not None or prof.poll() is not None, 30,
             "uvicorn to answer")
    assert prof.poll() is None, prof.communicate()
    served = {"/cpu": 0, "/slow": 0}
    stop = threading.Event()

    def client(path):
        while not stop.is_set():
            served[path] += http_get(port, path) is not None
    clients = [threading.Thread(target=client, args=(p,)) for p in ("/cpu", "/slow", "/slow", "/slow")]
    for c in clients:
        c.start()
    # Load until both routes served enough requests (bounded).
    wait_for(lambda: served["/cpu"] >= 150 and served["/slow"] >= 150, 60, "requests served")
    stop.set()
    for c in clients:
        c.join()
    prof.send_signal(signal.SIGINT)
    stdout, stderr = prof.communicate(timeout=60)
    assert out.exists(), stderr
    p = Profile.load(out)
    desc = f"served {served}\n{stderr.decode(errors='replace')}\n{p.summary(25)}"
    compute = p.select(containing="compute")
    assert samples(compute) >= 100, desc
    in_route = [s for s in compute if tasks_of(s) and "cpu_route" in s.names()
                and s.names().index("cpu_route") < s.names().index("compute")]
    assert samples(in_route) >= 0.9 * samples(compute), desc
    slow = p.select(containing="slow_route")
    assert samples(slow) >= 200, desc
    await_line = marker_line(WORKLOADS / "fastapi_app.py", "SLOW-AWAIT")
    parked = [s for s in slow if tasks_of(s) and s.names()[-2:] == ["slow_dependency", "sleep"]
              and s.frames[-2].line == await_line]
    assert samples(parked) >= 0.8 * samples(slow), desc


def test_pprof_task_labels(proftui, tmp_path):
    """pprof (read by `go tool pprof`): each sample of a task stack has the
    label task, its innermost task's name, with the same counts as the
    collapsed output of the same run."""
    interps = [p.values[0] for p in async_params() if p.values and p.values[0] is not None]
    if not interps:
        pytest.skip("no CPython 3.11+ selected on this machine")
    interp = next((i for i in interps if i.kind == "system"), interps[-1])
    tmp_path.mkdir(exist_ok=True)
    r = run([proftui, "--async", "-o", tmp_path / "p.txt", "-o", tmp_path / "p.pb.gz", "--",
             interp.path, WORKLOADS / "asyncapp.py", tmp_path / "info.json", "1.5"])
    assert r.returncode == 0, r.describe()
    p = Profile.load(tmp_path / "p.txt")
    want = {name: samples(stacks) for name, stacks in by_task(p).items()}
    out = go_pprof(tmp_path, "-tags", "-sample_index=samples", str(tmp_path / "p.pb.gz"))
    assert tag_counts(out, "task") == want, f"{out}\n{p.summary()}"
