# SPDX-License-Identifier: MIT
"""--dump --async (issue 13) on every interpreter: the asyncio tasks of a
known program (workloads/async_tasks.py) read out of its memory while it
runs: every task by name, the fetchers parked in asyncio's sleep inside
fetch_page at the await's line, the cruncher in crunch, the handler at
its gather and its two children awaited by it, all on the main thread;
in JSON and in text. Before 3.11 --async is refused with exit status 6."""

import json
import re
import subprocess

from harness import WORKLOADS, assert_error_line, marker_line, proc_state, read_line, run, wait_for
from test_cli import EXIT

TARGET = WORKLOADS / "async_tasks.py"
NAMES = {"fetcher-1", "fetcher-2", "fetcher-3", "cruncher", "handler", "child-1", "child-2"}


def start(spawn, interp):
    proc = spawn([interp.path, TARGET], stdout=subprocess.PIPE)
    assert read_line(proc, 60, "the async target's ready line") == "ready"
    return proc


def dump_json(proftui, pid):
    res = run([proftui, "--dump", "--async", "--json", "-p", pid], timeout=60)
    assert res.returncode == 0 and not res.stderr, res.describe()
    return json.loads(res.stdout)


def all_tasks_seen(proftui, pid):
    """The dump once it shows every task of the program, each read whole
    (they all exist after "ready"; a dump taken while one of them changes
    state may miss it, or find the cruncher's coroutine running a step
    while the running tasks said it was not: an error, torn, about 1 dump
    in 100)."""
    doc = dump_json(proftui, pid)
    complete = NAMES <= {t["name"] for t in doc["tasks"]}
    return doc if complete and all(t["error"] is None for t in doc["tasks"]) else None


def check_tasks(doc, pid):
    fetch, child = marker_line(TARGET, "FETCH-AWAIT"), marker_line(TARGET, "CHILD-AWAIT")
    tasks = {t["name"]: t for t in doc["tasks"]}
    for t in doc["tasks"]:
        assert t["error"] is None and not t["truncated"], t
    for name in NAMES:
        assert tasks[name]["tid"] == pid, f"{name} is not on the main thread: {tasks[name]}"
    for name, func, line in [(f"fetcher-{i}", "fetch_page", fetch) for i in (1, 2, 3)] + \
                            [(f"child-{i}", "child_work", child) for i in (1, 2)]:
        t = tasks[name]
        frames = [(f["name"], f["file"], f["line"]) for f in t["frames"]]
        assert not t["running"], t
        assert len(frames) == 2, f"{name}: {frames}"
        assert frames[0][0] == "sleep" and frames[0][1].endswith("asyncio/tasks.py"), frames
        assert frames[1] == (func, str(TARGET), line), frames
    handler = tasks["handler"]
    assert [(f["name"], f["line"]) for f in handler["frames"]] == \
        [("handle", marker_line(TARGET, "HANDLER-AWAIT"))], handler
    for name in ("child-1", "child-2"):
        assert tasks[name]["awaited_by"] == handler["id"], tasks[name]
        assert tasks[name]["awaited_by_name"] == "handler", tasks[name]
    # the cruncher runs burn() or is between two steps at sleep(0)
    crunch = [f["name"] for f in tasks["cruncher"]["frames"]]
    assert "crunch" in crunch, crunch
    if tasks["cruncher"]["running"]:
        assert crunch[0] in ("burn", "crunch") and crunch[-1] == "crunch", crunch


def test_async_dump(proftui, spawn, interp):
    proc = start(spawn, interp)
    if interp.minor < (3, 11):
        res = run([proftui, "--dump", "--async", "--json", "-p", proc.pid], timeout=60)
        assert_error_line(res, EXIT["EXIT_VERSION"], r"--async needs CPython 3\.11")
        assert res.stdout == ""
        return
    doc = wait_for(lambda: all_tasks_seen(proftui, proc.pid), 60, "every task in the dump", 0.2)
    check_tasks(doc, proc.pid)
    assert doc["tasks_cut"] == 0 and doc["threads"], doc
    res = run([proftui, "--dump", "--async", "-p", proc.pid], timeout=60)
    assert res.returncode == 0 and not res.stderr, res.describe()
    text = res.stdout.split("\n")
    head = next(i for i, line in enumerate(text) if re.fullmatch(r"Tasks: \d+", line))
    fetcher = text.index(f'Task "fetcher-2" (waiting, thread {proc.pid}, awaited by "Task-1")',
                         head)
    assert re.fullmatch(r"    sleep \(.*asyncio/tasks\.py:\d+\)", text[fetcher + 1]), text[fetcher:]
    assert text[fetcher + 2] == f"    fetch_page ({TARGET}:{marker_line(TARGET, 'FETCH-AWAIT')})"
    assert f'Task "child-1" (waiting, thread {proc.pid}, awaited by "handler")' in text[head:]
    assert proc.poll() is None and proc_state(proc.pid) not in ("T", "t"), "the target was disturbed"
