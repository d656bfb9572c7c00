# SPDX-License-Identifier: MIT
"""--diff BASELINE in the live view: the diff view (d) and the flame graph
coloured by change, over two saved profiles written by hand (exact shares)
and over a live run against a baseline recorded by a headless run of the
same workload. Driven through a real pty, read through pyte (uidriver.py).
"""

import re
from collections import Counter

import pytest

from harness import assert_error_line, run
from test_cli import EXIT
from test_ui import UI_WORKLOADS, live, newest  # noqa: F401 (fixtures)
from uidriver import LiveView, painted_runs, screen_line, screen_samples, view_details

FLAME_AB = UI_WORKLOADS / "flame_ab.py"

# A baseline and a profile "now", 1000 samples each: alpha 50 -> 20 % total,
# beta 30 -> 60 %, burn 80 -> 80 %, gone_fn only in the baseline (20 %),
# new_fn only now (20 %). alpha's first line moved (10 -> 12): matched by
# name and file all the same.
OLD = """# proftui: 0.1.0
# command: "python3 app.py old"
# thread: 7 "MainThread" 1000 samples, 0 failed (torn 0, cycle 0, corrupt 0, read 0)
P7;T7 MainThread;main (app.py:1);alpha (app.py:10);burn (app.py:20) 500
P7;T7 MainThread;main (app.py:1);beta (app.py:30);burn (app.py:20) 300
P7;T7 MainThread;main (app.py:1);gone_fn (app.py:40) 200
"""
NEW = """# proftui: 0.1.0
# command: "python3 app.py new"
# thread: 7 "MainThread" 1000 samples, 0 failed (torn 0, cycle 0, corrupt 0, read 0)
P7;T7 MainThread;main (app.py:1);alpha (app.py:12);burn (app.py:20) 200
P7;T7 MainThread;main (app.py:1);beta (app.py:30);burn (app.py:20) 600
P7;T7 MainThread;main (app.py:1);new_fn (app.py:50) 200
"""

ROW = re.compile(r"^\s*([\d.]+)\s+([\d.]+)\s+([+-][\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([+-][\d.]+)\s+"
                 r"(?:(new|gone)\s+)?(\S+) \((.*)\)\s*$")


def diff_rows(view: LiveView):
    """The diff view's rows, top down: (func, total, base, change, own,
    own base, own change, status)."""
    lines = view.display()
    head = screen_line(view, r"^\s*TOTAL%\s+BASE\s+CHANGE\s+OWN%")
    rows = []
    for line in lines[head + 1:]:
        m = ROW.match(line)
        if not m:
            break
        nums = [float(m[i]) for i in range(1, 7)]
        rows.append((m[8], *nums, m[7] or ""))
    return rows


def funcs(view: LiveView):
    return [r[0] for r in diff_rows(view)]


@pytest.fixture
def pair(tmp_path):
    (tmp_path / "old.txt").write_text(OLD)
    (tmp_path / "new.txt").write_text(NEW)
    return tmp_path / "new.txt", tmp_path / "old.txt"


def open_diff(live, pair) -> LiveView:
    new, old = pair
    view = live("--open", new, "--diff", old, cols=150, lines=32)
    view.wait_for(lambda: len(diff_rows(view)) == 6, "the diff view's six rows")
    return view


def test_diff_view_shares_changes_and_marks(live, pair):
    view = open_diff(live, pair)
    rows = {r[0]: r for r in diff_rows(view)}
    want = {  # total now, base, change, own now, base, change, status
        "alpha": (20, 50, -30, 0, 0, 0, ""), "beta": (60, 30, 30, 0, 0, 0, ""),
        "gone_fn": (0, 20, -20, 0, 20, -20, "gone"), "new_fn": (20, 0, 20, 20, 0, 20, "new"),
        "burn": (80, 80, 0, 80, 80, 0, ""), "main": (100, 100, 0, 0, 0, 0, ""),
    }
    assert set(rows) == set(want), view.describe()
    for func, w in want.items():
        got = rows[func][1:]
        assert all(abs(g - x) <= 1.0 for g, x in zip(got[:6], w[:6])), (func, got, view.describe())
        assert got[6] == w[6], (func, got, view.describe())
    # The header says what is compared with what.
    text = view.text()
    assert re.search(r"Baseline .*old\.txt: python3 app\.py old \(1000 samples, all threads\)", text), \
        view.describe()
    # Default order: the largest change either way first (ties by name).
    assert funcs(view) == ["alpha", "beta", "gone_fn", "new_fn", "burn", "main"], view.describe()
    assert "alpha (app.py)" in view_details(view)[0], view.describe()


def test_diff_view_sorts_and_filters(live, pair):
    view = open_diff(live, pair)
    view.send("j")                                  # select beta (second)
    view.wait_for(lambda: "beta (app.py)" in view_details(view)[0], "beta selected")
    view.send("2")                                  # the share now
    view.wait_for(lambda: funcs(view)[:3] == ["main", "burn", "beta"], "sorted by the share now")
    assert "beta (app.py)" in view_details(view)[0], view.describe()   # the selection stays on beta
    assert funcs(view)[-1] == "gone_fn", view.describe()
    view.send("3")                                  # the baseline's share
    view.wait_for(lambda: funcs(view)[:4] == ["main", "burn", "alpha", "beta"], "sorted by the baseline share")
    view.send("r")
    view.wait_for(lambda: funcs(view)[-4:] == ["beta", "alpha", "burn", "main"], "reversed")
    view.send("1")                                  # back to the change
    view.wait_for(lambda: funcs(view)[:2] == ["alpha", "beta"], "sorted by the change")
    view.send("1")                                  # the same key reverses
    view.wait_for(lambda: funcs(view)[-2:] == ["beta", "alpha"], "the change, reversed")
    view.send("/_fn")
    view.wait_for(lambda: sorted(funcs(view)) == ["gone_fn", "new_fn"], "the filter: two rows")
    view.send("\x1b")
    view.wait_for(lambda: len(funcs(view)) == 6, "the filter cleared")
    # The key is in the help and the footer.
    view.send("?")
    view.wait_for(lambda: "comparison" in view.text() or "diff:" in view.text(), "the help")


# Now in two threads: MainThread as NEW's alpha path (300), worker in a
# function the baseline never had (100).
THREADS = """# proftui: 0.1.0
# command: "python3 app.py threads"
# thread: 7 "MainThread" 300 samples, 0 failed (torn 0, cycle 0, corrupt 0, read 0)
# thread: 8 "worker" 100 samples, 0 failed (torn 0, cycle 0, corrupt 0, read 0)
P7;T7 MainThread;main (app.py:1);alpha (app.py:12);burn (app.py:20) 300
P7;T8 worker;work (app.py:60) 100
"""


def test_diff_view_follows_the_thread(live, pair):
    new, old = pair
    new.write_text(THREADS)
    view = live("--open", new, "--diff", old, cols=150, lines=32)
    view.wait_for(lambda: "alpha" in funcs(view), "the diff view")
    rows = {r[0]: r for r in diff_rows(view)}
    assert abs(rows["alpha"][1] - 75) <= 1 and abs(rows["alpha"][2] - 50) <= 1, view.describe()
    assert rows["work"][7] == "new" and abs(rows["work"][1] - 25) <= 1, view.describe()
    view.key("right")                                # MainThread alone: shares of its samples
    view.wait_for(lambda: "View thread MainThread" in view.text() or "MainThread" in view.display()[3],
                  "the MainThread view")
    view.wait_for(lambda: (r := {x[0]: x for x in diff_rows(view)}).get("alpha") and abs(r["alpha"][1] - 100) <= 1,
                  "alpha 100 % of MainThread")
    rows = {r[0]: r for r in diff_rows(view)}
    assert abs(rows["alpha"][2] - 50) <= 1 and abs(rows["alpha"][3] - 50) <= 1, view.describe()  # the whole baseline
    assert "work" not in rows, view.describe()


def flame_boxes(view: LiveView):
    top = screen_line(view, r"^ FLAME GRAPH")
    end = screen_line(view, r"^[▶>] ")
    return {b.text: b for y in range(top + 1, end) for b in painted_runs(view, y)}


def test_flame_graph_coloured_by_change(live, pair):
    view = open_diff(live, pair)
    view.send("f")
    view.wait_for(lambda: "change since the baseline" in view.text() and "new_fn" in flame_boxes(view),
                  "the flame graph coloured by change")
    boxes = flame_boxes(view)
    assert boxes["beta"].bg == "red", boxes       # grew 30 pp
    assert boxes["alpha"].bg == "blue", boxes     # shrank 30 pp
    assert boxes["burn"].bg == "white", boxes     # unchanged: grey
    assert boxes["new_fn"].bg == "white", boxes   # new: grey (marked in the diff view)
    view.send("D")                                # by code again
    view.wait_for(lambda: "change since the baseline" not in view.text(), "colours by code")
    boxes = flame_boxes(view)
    assert all(b.bg not in ("red", "blue") for name, b in boxes.items() if name in ("alpha", "beta")), boxes


def test_diff_without_a_terminal_and_bad_combinations(proftui, pair, tmp_path):
    new, old = pair
    res = run([proftui, "--open", new, "--diff", old])
    assert res.returncode == EXIT["EXIT_TERMINAL"], res.describe()
    for args in (["-o", tmp_path / "a", "-o", tmp_path / "b"], ["-o", tmp_path / "a", "-f", "collapsed"]):
        res = run([proftui, "--open", new, "--diff", old, *args])
        line = assert_error_line(res, EXIT["EXIT_USAGE"], None)
        assert "--diff" in line, res.describe()


def collapsed_shares(path):
    """Each function's total share (%) of a proftui collapsed file, by name."""
    total, samples = Counter(), 0
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        stack, n = line.rsplit(" ", 1)
        samples += int(n)
        names = {re.sub(r" \(.*\)$", "", f) for f in stack.split(";")[2:]}
        for name in names:
            total[name] += int(n)
    return {k: 100.0 * v / samples for k, v in total.items()}


def test_live_run_against_a_recorded_baseline(proftui, live, newest, tmp_path):
    base = tmp_path / "base.txt"
    res = run([proftui, "-d", "3", "-o", base, "--", newest.path, FLAME_AB], timeout=60)
    assert base.is_file(), res.describe()       # -d ends the workload: its status is 130 (SIGINT)
    shares = collapsed_shares(base)
    assert shares.get("alpha", 0) > 30 and shares.get("beta", 0) > 10, shares
    view = live("--diff", base, "--", newest.path, FLAME_AB, cwd=UI_WORKLOADS, cols=150, lines=32)
    view.launched = True                          # the diff view comes first: not test_ui's launch()
    view.wait_for(lambda: re.search(r"PID (\d+)", view.text()), "the header")
    view.target_pid = int(re.search(r"PID (\d+)", view.text())[1])
    view.wait_for(lambda: "Baseline" in view.text() and {"alpha", "beta", "burn"} <= set(funcs(view)) and
                  screen_samples(view) >= 1000, "the diff view of the live run")
    rows = {r[0]: r for r in diff_rows(view)}
    for func in ("alpha", "beta", "burn"):
        r = rows[func]
        assert abs(r[2] - shares[func]) <= 1.0, (func, r, shares, view.describe())   # the baseline's share
        assert abs(r[3] - (r[1] - r[2])) <= 0.02, (func, r)                          # change = now - base
        assert r[7] == "", (func, r, view.describe())                                # in both: not marked
    assert "base.txt" in view.text(), view.describe()


def test_flame_graph_change_without_colours(live, pair):
    """NO_COLOR: grew is bold, shrank and unchanged are not (shrank is dim,
    which pyte does not keep); every box stays reversed."""
    new, old = pair
    view = live("--open", new, "--diff", old, cols=150, lines=32, env={"NO_COLOR": "1"})
    view.wait_for(lambda: len(diff_rows(view)) == 6, "the diff view")
    view.send("f")
    view.wait_for(lambda: "change since the baseline" in view.text() and "new_fn" in flame_boxes(view),
                  "the flame graph coloured by change")
    boxes = flame_boxes(view)

    def bold(name):
        b = boxes[name]
        return view.screen.buffer[b.y][b.x].bold

    assert all(b.reverse for n, b in boxes.items() if n in ("alpha", "beta", "burn")), boxes
    assert bold("beta") and not bold("alpha") and not bold("burn"), boxes
