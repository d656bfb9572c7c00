# SPDX-License-Identifier: MIT
"""Thread states and modes (issue 12): every sample records whether its
thread was on a CPU and held the GIL; --mode wall|cpu|gil|idle|memory picks
what the counts count, in headless outputs and, switched with m, in the
live view, whose threads view (T) lists each thread's state shares.

The workload (workloads/modes.py): two pure-Python spinners, a thread
hashing a large buffer (hashlib releases the GIL), MainThread asleep.
Shares are compared within one run, never against the clock.
"""

import os
import re
import shutil
from pathlib import Path
from typing import Dict, Optional

import pytest

from harness import (Interpreter, Profile, cpu_wide_perf_allowed, interpreter_variant_params,
                     marker_line, one_per_version_params, profile_workload, run, samples,
                     supported_interpreters)
from hostile import public_copy, scratch_dir
from uidriver import LiveView

from test_ui import launch, live, newest  # noqa: F401  (fixtures)

SECONDS = 3.0
STATE_RE = re.compile(r"P(?P<pid>\d+) T(?P<tid>\d+) cpu (?P<cpu>\d+), gil (?P<gil>\d+), "
                      r"wait (?P<wait>\d+), idle (?P<idle>\d+) of (?P<samples>\d+) samples$")


def states(profile) -> Dict[int, Dict[str, int]]:
    """The '# state:' lines by thread id."""
    out = {}
    for line in profile.text.splitlines():
        if line.startswith("# state: "):
            m = STATE_RE.match(line[len("# state: "):])
            assert m, f"malformed state line {line!r}"
            out[int(m["tid"])] = {k: int(v) for k, v in m.groupdict().items()}
    return out


# The GIL holder and the states are read the same way from an interpreter
# however it is linked (test_gil.py dumps both of Debian's builds): one
# interpreter per version (harness.one_per_version_params).
PER_VERSION = pytest.mark.parametrize("interp", one_per_version_params())


@pytest.fixture(scope="module")
def gil_runs(proftui, tmp_path_factory):
    """One --mode gil run of modes.py per interpreter, shared by the tests
    that look at it from different sides."""
    cache = {}

    def get(interp: Interpreter):
        if interp.id not in cache:
            cache[interp.id] = profile_workload(proftui, interp, "modes.py", [SECONDS],
                                                ["--mode", "gil"],
                                                tmp_path_factory.mktemp(f"gil-{interp.id}"))
        return cache[interp.id]
    return get


@PER_VERSION
def test_gil_mode_counts_the_holders(interp, gil_runs):
    """In gil mode the two spinners share the GIL samples (each about half),
    the hasher (in hashlib, without the GIL) and the sleeping MainThread get
    almost none, and in the rounds of the run a thread held the GIL almost
    always (the spinners never stop wanting it)."""
    r = gil_runs(interp)
    assert r.result.returncode == 0 and r.profile is not None, r.describe()
    p, tids = r.profile, r.info["tids"]
    assert p.meta.get("mode") == "gil", r.describe()
    gil = {name: samples(p.select(tid=tid)) for name, tid in tids.items()}
    total = sum(gil.values())
    assert total >= 500, f"{gil}\n{r.describe()}"
    for spinner in ("spin-1", "spin-2"):
        assert 0.25 <= gil[spinner] / total <= 0.75, f"{gil}\n{r.describe()}"
    # MainThread holds the GIL through its start-up, until it first sleeps
    # (the workload's own measure of it, a sample a ms; a busy machine
    # stretches it: 108 samples in one CI-like run), and hardly after.
    main_after = max(gil["MainThread"] - r.info["main_startup"] * 1000, 0)
    assert (gil["hasher"] + main_after) / total <= 0.1, \
        f"{gil}, MainThread started in {r.info['main_startup'] * 1000:.0f} ms\n{r.describe()}"
    st = states(p)
    # The spinners' rounds: a round in which some thread held the GIL
    # counts once (one holder at a time), over MainThread's rounds (it
    # lives through the whole run).
    held = sum(st[tid]["gil"] for tid in tids.values())
    rounds = st[tids["MainThread"]]["samples"]
    assert held <= rounds, st
    assert held >= 0.9 * rounds, f"GIL held in {held} of {rounds} rounds\n{st}"


@PER_VERSION
def test_states_of_every_thread(interp, gil_runs):
    """Every thread's states, recorded whatever the mode: the sleeper is
    idle (neither on a CPU nor holding the GIL) nearly always, so cpu mode
    leaves it out; a spinner holds the GIL in a good part of its samples;
    the hasher is on a CPU without the GIL more than it holds it."""
    r = gil_runs(interp)
    assert r.profile is not None, r.describe()
    st, tids = states(r.profile), r.info["tids"]
    assert set(tids.values()) <= set(st), f"{tids}\n{st}"
    main = st[tids["MainThread"]]
    # MainThread sleeps but for its start-up and its wake-ups: on a CPU no
    # more than its own CPU time makes (one sample per ms of it); holding the
    # GIL in at most 5 % of the rounds after its start-up, during which it
    # holds it throughout (waiting for a CPU too, on a busy machine: the
    # start-up's wall time is the workload's own measure, the samples of one
    # round a ms); and idle in at least 90 % of the rounds after it.
    ran, startup = r.info["main_cpu"] * 1000, r.info["main_startup"] * 1000
    after = max(main["samples"] - startup, 0)
    facts = f"{st}\nMainThread ran {ran:.0f} ms, started in {startup:.0f} ms"
    assert main["cpu"] <= 1.2 * ran + 5, facts
    assert main["gil"] <= startup + 0.05 * after, facts
    assert main["samples"] - main["idle"] <= startup + 0.1 * after, facts
    for spinner in ("spin-1", "spin-2"):
        s = st[tids[spinner]]
        assert s["gil"] >= 0.25 * s["samples"], st
        assert s["wait"] <= s["samples"] - s["gil"], st     # waiting excludes holding
        # the other spinner holds it: a good share of the rest is waiting
        # (3.15: the interpreter's flag; before: asleep on the GIL's lock)
        assert s["wait"] >= 0.2 * s["samples"], st
    h = st[tids["hasher"]]
    assert h["gil"] <= 0.1 * h["samples"], st
    for s in st.values():
        assert s["cpu"] + s["idle"] <= s["samples"] and s["gil"] + s["idle"] <= s["samples"], st


@pytest.mark.parametrize("states", ["records", "proc"])
def test_cpu_mode_leaves_the_sleeper_out(proftui, tmp_path, states):
    """--mode cpu (and --cpu) on the newest interpreter: the sleeping
    MainThread is gone from the stacks but for the time it really ran
    (its start-up, its wake-ups: no more samples than its own CPU time
    makes; it sleeps 2 s, which would be 2,000), the hasher and the
    spinners stay. Its share of the samples is no measure: a machine busy
    with other work gives the threads fewer rounds on a CPU, but not its
    start-up (33 of 1,037 samples, 3.2 %, for 41 ms of start-up). Both
    ways of telling who is on a CPU: the kernel's context-switch records
    (where they may be had: root) and /proc alone (PROFTUI_SWITCHES=0);
    the -v log says which was used."""
    interp = max(supported_interpreters(), key=lambda i: i.version_info)
    env = dict(os.environ, PROFTUI_SWITCHES="0" if states == "proc" else "1")
    log = tmp_path / "log.txt"
    r = profile_workload(proftui, interp, "modes.py", [2.0], ["--mode", "cpu", "-v", log],
                         tmp_path, env=env)
    assert r.result.returncode == 0 and r.profile is not None, r.describe()
    said = [line for line in log.read_text().splitlines() if "thread states:" in line]
    assert len(said) == 1, log.read_text()
    # and how many code objects were read, and kept: each at least once
    # (the spinners', the hasher's, the sleeper's functions and more)
    codes = re.search(r"^proftui: code objects: (\d+) read \(name, file and line table\), "
                      r"(\d+) cached at the end$", log.read_text(), re.M)
    assert codes and int(codes[1]) >= int(codes[2]) >= 3, log.read_text()
    allowed = cpu_wide_perf_allowed()
    if states == "proc":
        assert "from /proc (context-switch records: not asked for)" in said[0], said
    elif allowed is False or (allowed is None and "thread states: from /proc" in said[0]):
        assert "thread states: from /proc (context-switch records:" in said[0], said
        pytest.skip(f"CPU-wide perf events are not allowed here: {said[0]}")
    else:       # the kernel lets this process open them: proftui must use them
        assert "from the kernel's context-switch records" in said[0], said
    p, tids = r.profile, r.info["tids"]
    assert p.meta.get("mode") == "cpu"
    on = {name: samples(p.select(tid=tid)) for name, tid in tids.items()}
    total = sum(on.values())
    assert total >= 200 and on["hasher"] >= 0.1 * total, f"{on}\n{r.describe()}"
    # A machine busy with other work gives the threads fewer rounds on a CPU,
    # but not MainThread's start-up: its share grows, its samples do not.
    # Each sample on a CPU stands for one interval of CPU time (1 ms).
    ran = r.info["main_cpu"] * 1000
    assert on["MainThread"] <= 1.2 * ran + 5, f"MainThread ran {ran:.0f} ms: {on}\n{r.describe()}"


def test_cpu_mode_unprivileged(proftui):
    """As the nobody user (no CAP_PERFMON): the CPU-wide perf events of the
    context-switch records are refused where perf_event_paranoid > 0, so
    thread states come from /proc, and the -v log says why; --mode cpu
    still counts the spinning thread and hardly the sleeping one."""
    setpriv, python = shutil.which("setpriv"), "/usr/bin/python3"
    if setpriv is None or not os.access(python, os.X_OK):
        pytest.skip("needs setpriv (util-linux) and /usr/bin/python3")
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to the nobody user")
    knob = Path("/proc/sys/kernel/perf_event_paranoid")
    if not knob.exists():
        pytest.skip("no perf events in this kernel")
    paranoid = int(knob.read_text())
    program = ("import threading, time\n"
               "def spin():\n"
               "    end = time.monotonic() + 1.5\n"
               "    while time.monotonic() < end: sum(range(100))\n"
               "t = threading.Thread(target=spin, name='spinner'); t.start()\n"
               "time.sleep(1.5); t.join()\n")
    with scratch_dir() as scratch:
        binary = public_copy(proftui, scratch)
        out, log = scratch / "out.txt", scratch / "log.txt"
        res = run([setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", binary,
                   "--mode", "cpu", "-v", log, "-o", out, "--", python, "-c", program],
                  timeout=60)
        assert res.returncode == 0, res.describe()
        said = [line for line in log.read_text().splitlines() if "thread states:" in line]
        if paranoid > 0:
            assert said == ["proftui: thread states: from /proc (context-switch records: "
                            "permission denied)"], log.read_text()
        else:
            assert said and "from the kernel's context-switch records" in said[0], said
        p = Profile.load(out)
        spinner = samples([s for s in p.stacks if s.thread == "spinner"])
        main = samples([s for s in p.stacks if s.thread == "MainThread"])
        assert spinner >= 200 and main <= 0.25 * spinner, p.summary()


# Memory mode reads the resident memory from /proc and charges a round's
# growth to the stack of the thread holding the GIL: the GIL holder and the
# stacks are what depends on the interpreter, and test_gil.py and
# test_gil_mode_counts_the_holders (the holders, sampled), test_engine.py
# (stacks and lines) check them under every interpreter; the charging is
# proftui's own: two interpreters.
@pytest.mark.parametrize("interp", interpreter_variant_params(
    [], [pytest.param(id="memory")]))
def test_memory_mode_charges_the_allocation(interp, proftui, tmp_path):
    """--mode memory: the growth of resident memory is charged to the stack
    of the thread holding the GIL; build_list(), which builds a list of
    about 200 MB twice, gets most of the bytes, pause() almost none."""
    r = profile_workload(proftui, interp, "memory.py", [2], ["--mode", "memory"], tmp_path)
    assert r.result.returncode == 0 and r.profile is not None, r.describe()
    p = r.profile
    assert p.meta.get("mode") == "memory" and p.meta.get("recorded", "").endswith("bytes"), p.meta
    total = samples(p.stacks)
    build = samples(p.select(containing="build_list"))
    idle = samples(p.select(containing="pause"))
    assert build >= 300 << 20, f"build_list: {build} bytes of {total}\n{r.describe()}"
    assert build >= 0.8 * total and idle <= 0.1 * total, f"{build}, {idle} of {total}\n{r.describe()}"
    line = marker_line(r.script, "BUILD-LINE")
    at_line = sum(s.count for s in p.select(containing="build_list")
                  if any(f.name.startswith("build_list") and f.line == line for f in s.frames))
    assert at_line >= 0.8 * build, f"{at_line} of {build} at line {line}\n{r.describe()}"


@pytest.mark.parametrize("interp", interpreter_variant_params(
    [], [pytest.param(id="released")]))
def test_released_mode_charges_the_release(interp, proftui, tmp_path):
    """--mode released: the shrinking of resident memory, charged the same
    way; main() drops the ~200 MB list twice at its `del` (DEL-LINE), which
    gets most of the bytes released; build_list() gets almost none."""
    r = profile_workload(proftui, interp, "memory.py", [2], ["--mode", "released"], tmp_path)
    assert r.result.returncode == 0 and r.profile is not None, r.describe()
    p = r.profile
    assert p.meta.get("mode") == "released" and p.meta.get("recorded", "").endswith("bytes"), p.meta
    total = samples(p.stacks)
    line = marker_line(r.script, "DEL-LINE")
    at_del = sum(s.count for s in p.stacks
                 if s.frames and s.frames[-1].name == "main" and s.frames[-1].line == line)
    build = samples(p.select(containing="build_list"))
    assert at_del >= 300 << 20, f"del: {at_del} bytes of {total}\n{r.describe()}"
    assert at_del >= 0.8 * total and build <= 0.1 * total, f"{at_del}, {build} of {total}\n{r.describe()}"


def threads_view_rows(view: LiveView) -> Dict[str, Dict[str, float]]:
    """The threads view's thread rows by name: SAMPLES %CPU %GIL %WAIT %IDLE."""
    rows = {}
    for line in view.display():
        m = re.match(r"\s*(\d+)\s+([\d.]+|-)\s+([\d.]+|-)\s+([\d.]+|-)\s+([\d.]+|-)\s+\d+\s+\d+\s+(\S.*?)\s*$",
                     line)
        if m:
            vals = [float(v) if v != "-" else -1 for v in m.groups()[1:5]]
            rows[m[6]] = dict(samples=int(m[1]), cpu=vals[0], gil=vals[1], wait=vals[2], idle=vals[3])
    return rows


def test_live_mode_switch_and_threads_view(live, newest):  # noqa: F811
    """In the live view, m switches the mode without a restart (the header
    says which; in cpu mode the sleeper's time.sleep is gone from the rows),
    T lists the threads with their state shares, and Enter on a spinner
    shows that thread in the views."""
    view = launch(live, newest, "../workloads/modes.py", "/dev/null", "60")
    view.wait_for(lambda: view.samples() >= 1500, "1500 samples")
    assert view.header()["mode"] == "wall", view.describe()
    # MainThread sleeps in main(): a quarter of the samples of four threads
    # in wall mode; in cpu mode only its wake-ups (every 50 ms) are left.
    view.wait_for(lambda: view.row("main") and view.row("main").total_pct >= 15,
                  "main() with its share of wall time")
    view.send("m")
    view.wait_for(lambda: view.header()["mode"] == "cpu", "the header to say cpu")
    view.wait_for(lambda: view.row("spin") and (not view.row("main") or view.row("main").total_pct <= 3),
                  "spin on top and the sleeping main() (nearly) gone in cpu mode")
    view.send("mmmmm")                                  # gil, idle, memory, released, wall
    view.wait_for(lambda: view.header()["mode"] == "wall", "back to wall")
    view.send("T")
    view.wait_for(lambda: {"spin-1", "spin-2", "hasher", "MainThread"} <= set(threads_view_rows(view)),
                  "the four threads in the threads view")
    def spinners_hold_it():
        r = threads_view_rows(view)
        ok = all(r.get(s, {}).get("gil", 0) >= 20 for s in ("spin-1", "spin-2"))
        return r if ok else None
    rows = view.wait_for(spinners_hold_it, "each spinner holding the GIL in a good share of its samples")
    # The sleeper's wake-ups hold the GIL a moment: far less than a spinner
    # does, in the same run (a thread descheduled while it holds the GIL,
    # as on a loaded machine, holds it longer, for everyone alike).
    assert rows["MainThread"]["idle"] >= 90, view.describe()
    assert rows["MainThread"]["gil"] <= 0.2 * min(rows[s]["gil"] for s in ("spin-1", "spin-2")), \
        view.describe()
    assert rows["hasher"]["gil"] <= 10, view.describe()
    # Select spin-2 and show it: the views show it alone.
    select_line(view, r"spin-2\b")
    view.send("\r")
    view.wait_for(lambda: "spin-2" in view.header().get("view", ""), "thread spin-2 in the header")
    view.wait_for(lambda: view.row("spin") and view.rows()[0].total_pct == 100.0,
                  "spin-2's own rows")


def process_rows(view: LiveView) -> Dict[int, float]:
    """The threads view's process rows: pid -> %CPU."""
    rows = {}
    for line in view.display():
        m = re.match(r"\s*(\d+)\s+([\d.]+|-)\s+\S+\s+\S+\s+\S+\s+(\d+)\s+process (\d+) \(", line)
        if m:
            rows[int(m[4])] = float(m[2]) if m[2] != "-" else -1.0
    return rows


def selected_row(view: LiveView) -> Optional[str]:
    """The threads view's selected row (the details line after the
    pointer), by what stays while its numbers change: "all", "process PID",
    "task NAME" or the thread's name; None when none is drawn."""
    for line in view.display():
        m = re.match(r"\s*(?:▶|>)\s+(all|process \d+|task \S+|\S+)", line)
        if m:
            return m[1]
    return None


def row_index(view: LiveView, pattern: str) -> Optional[int]:
    """The screen line of the threads view's first row whose name matches
    pattern (the name column, after a number), or None."""
    for i, line in enumerate(view.display()):
        if not re.match(r"\s*(▶|>)", line) and re.search(r"\d\s+" + pattern, line):
            return i
    return None


def select_line(view: LiveView, pattern: str, tries: int = 12) -> None:
    """Move the selection from the top, one row at a time, towards the row
    whose name matches pattern (up or down: the rows may reorder as shares
    move, and the selection stays on its row, so the target may pass it),
    until the details line (the pointer) matches pattern. Each move is seen
    drawn before the next key (a busy machine may draw late: keys sent on a
    timer could pass the row)."""
    view.key("home")
    view.pump(0.3)
    for _ in range(tries):
        cur = view.wait_for(lambda: selected_row(view), "a selected row")
        if any(re.match(r"\s*(▶|>) " + pattern, line) for line in view.display()):
            return
        # Rows that read alike (two threads named MainThread side by side:
        # a forked child's main thread is read a moment before the child
        # records its new thread id) can't show the move: give it a second.
        alike = sum(1 for line in view.display() if re.search(r"\d\s+" + re.escape(cur) + r"\s*$", line))
        at, target = row_index(view, re.escape(cur) + r"(\s|$)"), row_index(view, pattern)
        view.key("up" if at is not None and target is not None and target < at else "down")
        if alike > 1:
            view.pump(1.0)
            continue
        view.wait_for(lambda: selected_row(view) not in (None, cur), f"the selection to move from {cur}")
    raise AssertionError(f"could not select /{pattern}/\n{view.describe()}")


def test_live_process_selection(live, newest, tmp_path):  # noqa: F811
    """Worker processes (issue 10): a parent waiting on a Python child that
    computes. The threads view (T) lists both processes with their threads;
    Enter on the child's row shows that process alone in every view (its
    spin(), none of the parent's waiting), on the parent's the reverse, on
    the first row everything again."""
    view = launch(live, newest, "../workloads/procs.py", tmp_path / "report", "subprocess", "60")
    view.wait_for(lambda: view.header().get("procs") == "2" and view.row("spin"),
                  "two processes and the child's spin()")
    view.send("T")
    procs = view.wait_for(lambda: (lambda r: r if len(r) == 2 else None)(process_rows(view)),
                          "two process rows in the threads view")
    child = max(procs, key=lambda pid: procs[pid])
    parent = min(procs, key=lambda pid: procs[pid])
    assert child != parent, view.describe()
    select_line(view, rf"process {child} \(")
    view.send("\r")
    view.wait_for(lambda: f"process {child}" in view.header().get("view", ""), "the child's scope")
    view.wait_for(lambda: view.row("spin") and view.row("spin").total_pct >= 90
                  and not view.row("Popen._try_wait"), "the child's spin() alone")
    view.send("T")
    view.wait_for(lambda: process_rows(view), "the threads view again")
    select_line(view, rf"process {parent} \(")
    view.send("\r")
    view.wait_for(lambda: f"process {parent}" in view.header().get("view", ""), "the parent's scope")
    view.wait_for(lambda: view.row("Popen._try_wait") and not view.row("spin"),
                  "the parent's waiting alone")
    view.send("T")
    view.wait_for(lambda: process_rows(view), "the threads view again")
    select_line(view, r"all \(")
    view.send("\r")
    view.wait_for(lambda: view.header().get("view", "").startswith("all threads")
                  and view.row("spin") and view.row("Popen._try_wait"), "everything again")
