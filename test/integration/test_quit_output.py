# SPDX-License-Identifier: MIT
"""The launched program's output and quitting (issue "Whole programs"):
in the live view the program's stdout/stderr go to a log file named on the
state line; a program that fails shows where its output is, and after the
screen is restored proftui prints the end of it (the traceback); `q`
says at once that it is stopping the program, escalates SIGINT -> SIGTERM
-> SIGKILL with a line for each step, and ends every process the program
started. These read what proftui writes to the terminal, so they run on
one interpreter (the newest of the live-view tests)."""

import os
import re
import time
from pathlib import Path

import pytest

from harness import proc_state, wait_for
from test_ui import UI_WORKLOADS, live, newest, terminal_restored  # noqa: F401 (fixtures)

STUBBORN = UI_WORKLOADS / "stubborn.py"
LOG_RE = r"program output: (/\S+proftui-\d+-output(?:-\d+)?\.log)"


def after_screen(view) -> str:
    """What proftui printed after it left the alternate screen."""
    raw = bytes(view.raw).decode("utf-8", "replace")
    cut = raw.rfind("\x1b[?1049l")
    return (raw[cut:] if cut >= 0 else raw).replace("\r", "")


def start(live, interp, tmp_path, mode):
    pidfile = tmp_path / "grandchild.pid"
    view = live("--", interp.path, STUBBORN, pidfile, mode, cwd=tmp_path)
    view.launched = True
    view.wait_for(lambda: view.rows(), "the first rows")
    view.target_pid = int(view.header()["pid"])
    return view, pidfile


def test_output_goes_to_a_named_log(live, newest, tmp_path):
    view, pidfile = start(live, newest, tmp_path, "threads")
    log = Path(view.wait_for(lambda: re.search(LOG_RE, view.text()), "the log's path on screen")[1])
    wait_for(lambda: "hello from stderr" in log.read_text(), 15, "the program's output in the log")
    text = log.read_text()
    assert "hello from stdout" in text and "hello from stderr" in text
    assert oct(log.stat().st_mode & 0o777) == "0o600", "the log is the user's alone"
    assert "hello from" not in view.text(), "the program's output must not reach the screen"


def test_quit_says_what_it_does_and_ends_the_tree(live, newest, tmp_path):
    """A non-daemon thread keeps the program alive after SIGINT and the
    grandchild ignores SIGINT: q restores the screen, says it is stopping
    at once (while the program still runs), escalates to SIGTERM with a
    line, and no process of the tree is left."""
    view, pidfile = start(live, newest, tmp_path, "threads")
    wait_for(lambda: pidfile.exists(), 15, "the grandchild's pid")
    grandchild = int(pidfile.read_text())
    view.send("q")
    view.wait_for(lambda: re.search(r"proftui: stopping .*stubborn\.py.*\(\d+ process(es)?\): SIGINT; "
                                    r"SIGTERM in 2 s", after_screen(view)), "the stopping line")
    assert view.proc.poll() is None, "the stopping line must come before the escalation, at once"
    code = view.wait_exit(timeout=30)
    tail = after_screen(view)
    assert re.search(r"proftui: still running: .*: SIGTERM", tail), tail
    assert code == 128 + 15, f"exit status {code}: the program ended on SIGTERM (143)\n{tail}"
    terminal_restored(view)
    wait_for(lambda: proc_state(grandchild) in (None, "Z"), 15, "the grandchild to be gone")
    assert proc_state(view.target_pid) is None


def test_failed_program_shows_its_traceback(live, newest, tmp_path):
    view, _ = start(live, newest, tmp_path, "crash")
    view.wait_text(r"FINISHED \(exit 1\)")
    m = view.wait_text(r"q quits and prints the end of the program's output \(all of it: (/\S+)\)")
    log = m[1]
    view.send("q")
    assert view.wait_exit() == 1
    tail = after_screen(view)
    assert re.search(r"proftui: .*stubborn\.py .*crash exited with status 1; the end of its output:", tail), tail
    assert re.search(r"  \| Traceback \(most recent call last\):", tail), tail
    assert re.search(r"  \| ZeroDivisionError", tail), tail
    assert f"proftui: the program's output is in {log}" in tail
    assert "about to fail" in Path(log).read_text()


def test_empty_log_is_removed(live, newest, tmp_path):
    view, _ = start(live, newest, tmp_path, "quiet")
    log = Path(view.wait_for(lambda: re.search(LOG_RE, view.text()), "the log's path on screen")[1])
    assert log.exists()
    view.send("q")
    view.wait_exit(timeout=30)
    assert not log.exists(), "a log the program never wrote to is removed"
    assert "program's output is in" not in after_screen(view)


ORPHAN = """
import os, sys, time
if os.fork() == 0:                      # a daemon: double fork, the middle one exits
    if os.fork() == 0:
        import signal
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with open(sys.argv[1] + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        t = time.time()
        while time.time() - t < 120:
            time.sleep(0.05)
    os._exit(0)
t = time.thread_time()
while time.thread_time() - t < 0.3:
    pass
while not os.path.exists(sys.argv[1]):
    time.sleep(0.01)
"""


def test_orphans_left_by_the_program_are_ended(proftui, tmp_path):
    """The program exits by itself and leaves a daemonised process (double
    fork, ignoring SIGINT): it is ended too, headless, with the program's
    own exit status kept."""
    from harness import SYSTEM_PYTHON, run
    pidfile = tmp_path / "orphan.pid"
    res = run([proftui, "-o", tmp_path / "p.txt", "--", SYSTEM_PYTHON, "-c", ORPHAN, pidfile], timeout=60)
    assert res.returncode == 0, res.describe()
    orphan = int(pidfile.read_text())
    wait_for(lambda: proc_state(orphan) in (None, "Z"), 15, "the orphan to be gone")
    assert re.search(r"still running: .*SIGTERM", res.stderr, re.S), res.stderr
