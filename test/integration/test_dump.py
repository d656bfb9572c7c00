# SPDX-License-Identifier: MIT
"""One-shot dump (--dump -p PID, issue 11) on every interpreter: a target
with a thread blocked on an Event in wait_here(), one spinning in
spin_here() and MainThread blocked in main_wait(); every stack innermost
frame first with the right function and line, the spinner active and the
blocked threads idle, in text (py-spy dump's layout) and in JSON; the
target left running and untraced; hostile thread names escaped; the exit
statuses of -p for a PID that does not exist or is not Python."""

import json
import re
import subprocess
import time

import pytest

from harness import (SYSTEM_PYTHON, WORKLOADS, marker_line, assert_error_line, free_pid, proc_state, proc_status_field, read_line,
                     run, wait_for)
from test_cli import EXIT

TARGET = WORKLOADS / "dump_target.py"
BLOCKED = ("waiter", "MainThread")


def lines_of():
    return {m: marker_line(TARGET, m) for m in ("WAIT-LINE", "SPIN-LINE", "MAIN-LINE")}


def switches(pid: int, tid: int):
    """(state, context switches) of a thread."""
    text = open(f"/proc/{pid}/task/{tid}/status").read()
    state = re.search(r"^State:\s+(\S)", text, re.M)[1]
    return state, sum(int(n) for n in re.findall(r"^\w*voluntary_ctxt_switches:\s+(\d+)", text, re.M))


def blocked(pid: int, tid: int) -> bool:
    """Asleep without a context switch for 0.2 s: blocked for good, not
    passing through (a thread waiting for the GIL wakes every 5 ms)."""
    before = switches(pid, tid)
    time.sleep(0.2)
    return before[0] == "S" and switches(pid, tid) == before


def start_target(spawn, path, *args):
    """The target, once its waiting threads are blocked; (proc, tids)."""
    proc = spawn([path, TARGET, *args], stdout=subprocess.PIPE)
    line = read_line(proc, 60, "the dump target's ready line")
    m = re.fullmatch(r"ready (\d+) (.*)", line)
    assert m and int(m[1]) == proc.pid, line
    tids = json.loads(m[2])
    for name in BLOCKED + args:
        wait_for(lambda: blocked(proc.pid, tids[name]), 30, f"{name!r} to block")
    return proc, tids


def parse_text(out: str):
    """(header lines, {tid: (state, name, [frame lines])}) of a text dump."""
    head, _, rest = out.partition("\n\n")
    threads = {}
    for block in rest.strip("\n").split("\n\n"):
        first, *frames = block.split("\n")
        m = re.fullmatch(r'Thread (\d+) \((active|idle)(?:, holds GIL)?(?:, waits for GIL)?(?:, in GC)?\): "(.*)"', first)
        assert m, f"bad thread line {first!r}\n{out}"
        assert all(f.startswith("    ") for f in frames), block
        threads[int(m[1])] = (m[2], m[3], [f[4:] for f in frames])
    return head.split("\n"), threads


def frame_re(func: str, line: int) -> str:
    return rf"{re.escape(func)} \(.*dump_target\.py:{line}\)"


def check_stacks(interp, tids, stacks):
    """stacks: {tid: (active, name, [(func, file, line)])} from either form."""
    lines = lines_of()
    wait = interp.qualname("Event.wait")
    assert set(stacks) == set(tids.values()), f"threads {sorted(stacks)}, expected {tids}"
    for name, tid in tids.items():
        assert stacks[tid][1] == name, f"thread {tid} is named {stacks[tid][1]!r}, not {name!r}"
    for name, func, line, active in (("waiter", "wait_here", lines["WAIT-LINE"], False),
                                      ("MainThread", "main_wait", lines["MAIN-LINE"], False),
                                      ("spinner", "spin_here", lines["SPIN-LINE"], True)):
        state, _, frames = stacks[tids[name]]
        funcs = [f[0] for f in frames]
        assert state == active, f"{name} should be {'active' if active else 'idle'}: {frames}"
        i = funcs.index(func)
        assert frames[i][1].endswith("dump_target.py") and frames[i][2] == line, frames
        if active:
            assert i == 0, f"spin_here is not the innermost frame of the spinner: {funcs}"
        else:
            assert wait in funcs[:i], f"{name}: no {wait} inside {func}: {funcs}"
            assert all(f[1].endswith("threading.py") for f in frames[:i]), frames[:i]
    main = [f[0] for f in stacks[tids["MainThread"]][2]]
    assert main[-1] == "<module>" and "main" in main, main


def untouched(proc):
    assert proc.poll() is None, "the target died"
    assert proc_state(proc.pid) not in ("T", "t"), "the target was left stopped"
    assert proc_status_field(proc.pid, "TracerPid") == "0"


def test_dump_text(proftui, spawn, interp):
    proc, tids = start_target(spawn, interp.path)
    res = run([proftui, "--dump", "-p", proc.pid], timeout=60)
    assert res.returncode == 0 and not res.stderr, res.describe()
    head, threads = parse_text(res.stdout)
    assert re.fullmatch(rf"Process {proc.pid}: .*dump_target\.py", head[0]), head
    assert re.fullmatch(rf"Python v{re.escape(interp.version)} \(/.+\)", head[1]), head
    stacks = {}
    for tid, (state, name, frames) in threads.items():
        parsed = []
        for f in frames:
            m = re.fullmatch(r"(.+) \((.*):(\d+)\)", f)
            assert m, f"bad frame line {f!r}"
            parsed.append((m[1], m[2], int(m[3])))
        stacks[tid] = (state == "active", name, parsed)
    check_stacks(interp, tids, stacks)
    untouched(proc)


def test_dump_json(proftui, spawn, interp):
    proc, tids = start_target(spawn, interp.path)
    res = run([proftui, "--dump", "--json", "-p", proc.pid], timeout=60)
    assert res.returncode == 0 and not res.stderr, res.describe()
    doc = json.loads(res.stdout)
    assert doc["pid"] == proc.pid and doc["python_version"] == interp.version
    assert "dump_target.py" in doc["command"]
    stacks = {}
    for t in doc["threads"]:
        assert t["error"] is None and t["truncated"] is False, t
        stacks[t["tid"]] = (t["active"], t["name"],
                            [(f["name"], f["file"], f["line"]) for f in t["frames"]])
    check_stacks(interp, tids, stacks)
    untouched(proc)


HOSTILE = 'evil "q" \\ \x1b[31m red\nnext line ✓ \t end'


@pytest.mark.parametrize("form", ["text", "json"])
def test_hostile_thread_name(proftui, spawn, form):
    """A thread name with quotes, a backslash, an escape sequence, a
    newline, a tab and non-ASCII: the JSON gives it back exactly; the text
    keeps it on its thread's line, with no control character."""
    proc, tids = start_target(spawn, SYSTEM_PYTHON, HOSTILE)
    opts = ["--json"] if form == "json" else []
    res = run([proftui, "--dump", *opts, "-p", proc.pid], timeout=60)
    assert res.returncode == 0, res.describe()
    if form == "json":
        names = {t["tid"]: t["name"] for t in json.loads(res.stdout)["threads"]}
        assert names[tids[HOSTILE]] == HOSTILE
        return
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", res.stdout), "a control character got through"
    want = f'Thread {tids[HOSTILE]} (idle): "evil \\"q\\" \\\\ \\x1b[31m red\\x0anext line ✓ \\x09 end"'
    assert want in res.stdout.split("\n"), res.stdout


def test_dump_no_such_pid(proftui):
    pid = free_pid()
    assert_error_line(run([proftui, "--dump", "-p", pid]), EXIT["EXIT_NO_PROCESS"], rf"\b{pid}\b")


def test_dump_not_python(proftui, spawn):
    sleeper = spawn(["sleep", "30"])
    wait_for(lambda: proc_state(sleeper.pid) == "S", 10, "sleep to be sleeping")
    res = run([proftui, "--dump", "--json", "-p", sleeper.pid], timeout=30)
    assert_error_line(res, EXIT["EXIT_NOT_PYTHON"])
    assert res.stdout == ""
    assert sleeper.poll() is None and proc_state(sleeper.pid) == "S"
