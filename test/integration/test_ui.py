# SPDX-License-Identifier: MIT
"""The live view (issue 3), driven through a real pseudo-terminal and read
through a terminal emulator (uidriver.py): what a person sees in the
header and the table, what each key does, resizing, and that the terminal
and the target end up as they should.

UI tests run under two interpreters only (the system python3 and the
newest pyenv one); the engine tests cover every interpreter.
"""

import os
import re
import signal
import termios
import time
from pathlib import Path

import pytest

from harness import (Interpreter, assert_error_line, marker_line, proc_state, run,
                     supported_interpreters)
from uidriver import LiveView, assert_help_lists, parse_time, terminfo_string

HERE = Path(__file__).resolve().parent
UI_WORKLOADS = HERE / "workloads_ui"
HOT = UI_WORKLOADS / "hot.py"
THREADS = UI_WORKLOADS / "threads.py"
LONGNAMES = UI_WORKLOADS / "longnames.py"


def _ui_interpreters():
    interps = supported_interpreters()
    chosen = [i for i in interps if i.kind == "system"][:1]
    pyenvs = sorted((i for i in interps if i.kind == "pyenv"), key=lambda i: i.version_info)
    if pyenvs:
        chosen.append(pyenvs[-1])
    return chosen or interps[:1]


UI_INTERPS = _ui_interpreters()
NEWEST = max(UI_INTERPS, key=lambda i: i.version_info) if UI_INTERPS else None


@pytest.fixture(params=UI_INTERPS, ids=[i.id for i in UI_INTERPS])
def ui_interp(request) -> Interpreter:
    return request.param


@pytest.fixture
def newest() -> Interpreter:
    if NEWEST is None:
        pytest.fail("no supported CPython on this machine", pytrace=False)
    return NEWEST


@pytest.fixture
def live(proftui):
    """Start proftui (args after the binary) in a fresh pty; every view and
    the target it launched are killed when the test ends."""
    views = []

    def start(*args, **kw) -> LiveView:
        view = LiveView([proftui, *args], **kw)
        views.append(view)
        return view

    yield start
    for view in views:
        pid = view.target_pid
        view.close()
        if pid and view.launched and proc_state(pid) is not None:
            os.kill(pid, signal.SIGKILL)


def launch(live, interp, script=HOT, *args, opts=(), **kw) -> LiveView:
    """proftui OPTS -- PYTHON SCRIPT ARGS, run from the workloads' directory
    (so short paths are relative to it); waits for the first rows."""
    view = live(*opts, "--", interp.path, script, *args, cwd=UI_WORKLOADS, **kw)
    view.launched = True
    view.wait_for(lambda: view.rows(), "the first rows of the table")
    view.target_pid = int(view.header()["pid"])
    return view


def hot_ready(view: LiveView, samples: int = 600) -> None:
    """Wait until hot.py's three busy functions lead the table."""
    view.wait_for(lambda: view.samples() >= samples and
                  [r.func for r in view.rows()[:3]] == ["hottest", "two_lines", "warm"],
                  "hottest, two_lines, warm on top")


def terminal_restored(view: LiveView) -> None:
    """After exit: line discipline back to cooked mode with echo, the
    alternate screen left and the cursor shown again (rmcup / cnorm, for
    terminals that have them)."""
    lflag = view.tty_modes()
    assert lflag & termios.ICANON, "the terminal was left in raw/cbreak mode"
    assert lflag & termios.ECHO, "the terminal was left without echo"
    raw = bytes(view.raw)
    smcup = terminfo_string(view.term, "smcup")
    start = 0
    if smcup:
        assert smcup in raw, "the view never entered the alternate screen"
        start = raw.rindex(smcup)
        assert terminfo_string(view.term, "rmcup") in raw[start:], "the alternate screen was not left"
    cnorm = terminfo_string(view.term, "cnorm")
    if cnorm:
        assert cnorm in raw[start:], "the cursor was not made visible again"


# ---------------------------------------------------------------- header and rows

def test_header_and_hottest_function(live, ui_interp):
    view = launch(live, ui_interp)
    hot_ready(view, samples=1500)
    h = view.header()
    assert "hot.py" in view.display()[0] and ui_interp.path in view.display()[0], view.describe()
    assert h["python"] == ui_interp.version
    assert h["mode"] == "wall" and h["interval"] == "1ms"
    achieved, asked = h["rate"].split(" of ")
    assert asked == "1000/s" and float(achieved.rstrip("/s").replace("k", "")) > 100, h["rate"]
    assert int(h["missed"].replace(",", "")) >= 0 and int(h["failed"].replace(",", "")) >= 0
    assert h["threads"] == "1"
    assert h["view"] == "all threads" and h["level"] == "function"
    assert h["sort"] == ("%OWN", "▼") and h["threshold"] == ("0", "0")
    assert re.match(r"[\d.]+%$", h["cpu"]), h["cpu"]
    # The CPU is the last second's: a spinning target shows it, unless a
    # busy machine starved it for that second (then a later one shows it).
    view.wait_for(lambda: float(view.header()["cpu"][:-1]) > 10, "the header's CPU above 10 %")
    assert re.match(r"[\d.]+ (KiB|MiB|GiB)$", h["rss"]), h["rss"]
    assert "SAMPLING" in h["state"] and "refresh 0.5s" in h["state"]

    rows = view.rows()
    top = rows[0]
    assert top.func == "hottest" and 40 <= top.own_pct <= 80, view.describe()
    assert 15 <= view.row("two_lines").own_pct <= 45, view.describe()
    assert top.loc == f"hot.py:{marker_line(HOT, 'HOTTEST-LINE')}"
    # Own time is own samples x elapsed / rounds: for the one thread it is
    # the share of the elapsed time.
    elapsed = parse_time(h["elapsed"])
    assert top.own_time == pytest.approx(top.own_pct / 100 * elapsed, rel=0.25), view.describe()
    view.send("2")                      # by total: main() is on every stack but rarely the leaf
    main = view.wait_for(lambda: view.header()["sort"][0] == "TOTAL" and view.row("main", "hot.py:"),
                         "main() in the table sorted by total")
    assert main.own_pct < 1 and main.total_pct > 95, view.describe()


def test_cpu_mode_and_interval_in_header(live, newest):
    view = launch(live, newest, opts=("--cpu", "-i", "2ms"))
    view.wait_for(lambda: view.samples() > 100, "samples")
    h = view.header()
    assert h["mode"] == "cpu" and h["interval"] == "2ms" and h["rate"].endswith(" of 500/s"), h


# ---------------------------------------------------------------- sorting and selection

def _non_increasing(values):
    return all(a >= b for a, b in zip(values, values[1:]))


def test_sort_keys(live, newest):
    view = launch(live, newest)
    hot_ready(view)
    titles = lambda: view.display()[view.title_line()]  # noqa: E731

    view.send("2")
    view.wait_for(lambda: view.header()["sort"] == ("TOTAL", "▼") and "TOTAL▼" in titles()
                  and view.rows()[0].func in ("<module>", "main")
                  and _non_increasing([r.total for r in view.rows()]), "sorting by total")
    view.send("7")
    view.wait_for(lambda: view.header()["sort"] == ("FUNCTION", "▲") and "FUNCTION▲" in titles()
                  and [r.func for r in view.rows()] == sorted(r.func for r in view.rows()),
                  "sorting by name, A first")
    view.send("7")                      # the same key again reverses
    view.wait_for(lambda: view.header()["sort"] == ("FUNCTION", "▼")
                  and [r.func for r in view.rows()] == sorted((r.func for r in view.rows()), reverse=True),
                  "sorting by name, Z first")
    view.send("r")
    view.wait_for(lambda: view.header()["sort"] == ("FUNCTION", "▲"), "r reverses")
    view.send(">")
    view.wait_for(lambda: view.header()["sort"] == ("LOCATION", "▲") and "LOCATION▲" in titles(),
                  "> moves to the location column")
    view.send("<<")
    view.wait_for(lambda: view.header()["sort"] == ("%TOTAL", "▼"), "< moves left")
    view.send("3")
    view.wait_for(lambda: view.header()["sort"] == ("OWN TIME", "▼") and "OWN TIME▼" in titles()
                  and _non_increasing([r.own_time for r in view.rows()])
                  and view.rows()[0].func == "hottest", "sorting by own time")


def test_selection_stays_on_function_across_refresh_and_resort(live, newest):
    view = launch(live, newest)
    hot_ready(view)
    view.send("jj")
    view.wait_for(lambda: view.selected_name() == "warm", "the third row (warm) selected")
    view.send("7")                      # by name: warm moves far down
    view.wait_for(lambda: view.header()["sort"] == ("FUNCTION", "▲"), "sorting by name")
    assert view.selected_name() == "warm"
    samples = view.samples()
    view.wait_for(lambda: view.samples() > samples + 200, "a few refreshes")
    assert view.selected_name() == "warm"
    highlighted = view.highlighted_rows()
    assert len(highlighted) == 1, view.describe()
    assert view.display()[highlighted[0]].split()[-2] == "warm", view.describe()
    view.send("5")
    view.wait_for(lambda: view.header()["sort"] == ("%OWN", "▼"), "sorting by own share")
    assert view.selected_name() == "warm"


def test_navigation_keys(live, newest):
    view = launch(live, newest, lines=20)
    hot_ready(view)
    page = len(view.rows())
    view.key("end")
    view.wait_for(lambda: view.highlighted_rows() == [view.rows()[-1].y]
                  and view.selected_name() == view.rows()[-1].func, "End selects the last row")
    view.key("home")
    view.wait_for(lambda: view.selected_name() == "hottest"
                  and view.highlighted_rows() == [view.rows()[0].y], "Home selects the first row")
    view.key("pgdn")
    view.wait_for(lambda: view.highlighted_rows() and view.selected_name() != "hottest",
                  "PgDn moves a page")
    view.send("g")
    view.wait_for(lambda: view.selected_name() == "hottest", "g goes to the first row")
    view.key("down")
    view.wait_for(lambda: view.selected_name() == "two_lines", "Down selects the next row")
    view.send("k")
    view.wait_for(lambda: view.selected_name() == "hottest", "k selects the row above")
    assert page >= 5


# ---------------------------------------------------------------- threshold, level, filter

def test_threshold_keys_hide_rows_and_say_how_many(live, newest):
    view = launch(live, newest)
    hot_ready(view, samples=3000)
    view.wait_for(lambda: sum(r.func.startswith("tiny_") for r in view.rows()) >= 3, "tiny_ rows")
    for step in ("0.1", "0.2", "0.5", "1"):
        view.send("+")
        view.wait_for(lambda: view.header()["threshold"][0] == step, f"threshold {step}%")
    view.wait_for(lambda: int(view.header()["threshold"][1]) >= 10       # the ten tiny_ at least
                  and all(r.total_pct >= 1.0 for r in view.rows())
                  and not any(r.func.startswith("tiny_") for r in view.rows())
                  and [r.func for r in view.rows()[:3]] == ["hottest", "two_lines", "warm"],
                  "rows under 1% hidden and counted")
    for _ in range(4):
        view.send("-")
    view.wait_for(lambda: view.header()["threshold"] == ("0", "0")
                  and any(r.func.startswith("tiny_") for r in view.rows()), "threshold back to 0")


def test_threshold_option(live, newest):
    view = launch(live, newest, opts=("--threshold", "5"))
    hot_ready(view)
    view.wait_for(lambda: view.header()["threshold"][0] == "5" and int(view.header()["threshold"][1]) > 5,
                  "threshold 5% hiding rows")
    assert all(r.total_pct >= 5 for r in view.rows()), view.describe()


def test_line_level(live, newest):
    view = launch(live, newest)
    hot_ready(view)
    assert [r.func for r in view.rows()].count("two_lines") == 1
    view.send("L")
    line_a, line_b = marker_line(HOT, "LINE-A"), marker_line(HOT, "LINE-B")
    view.wait_for(lambda: view.header()["level"] == "line"
                  and {r.loc for r in view.rows() if r.func == "two_lines"} >= {f"hot.py:{line_a}",
                                                                                f"hot.py:{line_b}"},
                  "two_lines split into LINE-A and LINE-B rows")
    rows = {r.loc: r for r in view.rows() if r.func == "two_lines"}
    a, b = rows[f"hot.py:{line_a}"], rows[f"hot.py:{line_b}"]
    assert a.own > b.own, "LINE-A runs twice as long as LINE-B"
    view.send("L")
    view.wait_for(lambda: view.header()["level"] == "function"
                  and [r.func for r in view.rows()].count("two_lines") == 1, "back to functions")
    # A chosen selection follows its function into the line view (its busiest line) and back.
    view.send("jj")
    view.wait_for(lambda: view.selected_name() == "warm", "warm selected")
    warm_line = marker_line(HOT, "WARM-LINE")
    view.send("L")
    view.wait_for(lambda: view.header()["level"] == "line" and view.selected_name() == "warm"
                  and view.details()[1].strip().endswith(f"hot.py:{warm_line}"), "warm's line selected")
    view.send("L")
    view.wait_for(lambda: view.header()["level"] == "function" and view.selected_name() == "warm",
                  "warm selected at function level")


def test_filter(live, newest):
    view = launch(live, newest)
    hot_ready(view, samples=2000)
    view.send("/tiny")
    view.wait_for(lambda: "Filter: tiny" in view.footer(), "the filter prompt")
    view.wait_for(lambda: view.rows() and all("tiny" in r.func for r in view.rows())
                  and view.header()["filter"][0] == "tiny", "only tiny_ rows")
    matched, total = map(int, view.header()["filter"][1:])
    assert matched == len(view.rows()) and total > matched
    view.send("\r")                     # Enter keeps the filter
    view.wait_for(lambda: "Help" in view.footer(), "the footer's keys back")
    assert all("tiny" in r.func for r in view.rows())
    view.send("\x1b")                   # Esc clears it
    view.wait_for(lambda: view.rows()[0].func == "hottest" and "filter" not in view.header(),
                  "all rows back")
    view.send("/HOTT")                  # case-insensitive
    view.wait_for(lambda: [r.func for r in view.rows()] == ["hottest"], "only hottest")
    view.send("\x7f\x7f\x7f")           # Backspace down to "H"
    view.wait_for(lambda: view.header()["filter"][0] == "H", "the filter edited")
    view.send("\x1b")
    view.wait_for(lambda: "filter" not in view.header(), "the filter cleared")


# ---------------------------------------------------------------- pause, reset, threads

def test_pause_freezes_numbers_while_sampling_goes_on(live, newest):
    view = launch(live, newest)
    hot_ready(view)
    view.send("p")
    view.wait_for(lambda: "PAUSED" in view.header()["state"], "the PAUSED state")
    view.pump(0.2)
    frozen_samples, frozen_rows = view.samples(), view.rows()
    rate = float(view.header()["rate"].split("/s")[0])
    paused_at = time.monotonic()
    while time.monotonic() - paused_at < 3.0:       # six refresh periods
        view.pump(0.1)
        assert view.samples() == frozen_samples and view.rows() == frozen_rows, view.describe()
    view.send(" ")
    view.wait_for(lambda: "SAMPLING" in view.header()["state"], "sampling state back")
    jump = view.samples() - frozen_samples
    # Had sampling stopped too, the first refresh would add half a second's
    # worth at most; it went on for three seconds.
    assert jump >= 1.2 * rate, f"only {jump} more samples after 3 s paused (rate {rate}/s)\n{view.describe()}"


def test_reset_zeroes_counts(live, newest):
    view = launch(live, newest)
    hot_ready(view, samples=2500)
    before = view.samples()
    elapsed = parse_time(view.header()["elapsed"])
    view.send("R")
    view.wait_for(lambda: view.samples() < before / 3
                  and parse_time(view.header()["elapsed"]) < elapsed / 2, "counts zeroed")
    view.wait_for(lambda: view.rows() and view.rows()[0].own < before / 3, "rows counted again from zero")


REASON = "(?:torn|cycle|corrupt|read)"


def test_thread_views(live, newest):
    view = launch(live, newest, THREADS)
    own = {"MainThread": "main_thread_work", "ui-worker": "worker_thread_work",
           "ui-sleeper": "sleeper_thread_wait"}
    view.wait_for(lambda: view.header()["threads"] == "3"
                  and set(own.values()) <= {r.func for r in view.rows()}, "three threads' functions")
    order = sorted(own)                 # thread views come by name
    for name in order:
        view.key("right")
        view.wait_for(lambda: re.fullmatch(rf"thread {name} \(tid \d+\)", view.header()["view"])
                      and view.rows(), f"the view of thread {name}")
        funcs = {r.func for r in view.rows()}
        assert own[name] in funcs, view.describe()
        # this thread's failures: a count, then its share and reasons when any
        assert re.fullmatch(rf"[\d,]+|[\d,]+ \(\d+\.\d%: {REASON} [\d,]+(, {REASON} [\d,]+)*\)",
                            view.header()["failed_detail"]), view.describe()
        assert not (set(own.values()) - {own[name]}) & funcs, f"other threads' functions shown\n{view.describe()}"
    view.key("right")
    view.wait_for(lambda: view.header()["view"] == "all threads", "back to all threads")
    view.key("left")
    view.wait_for(lambda: view.header()["view"].startswith(f"thread {order[-1]} "), "left goes back")


# ---------------------------------------------------------------- help, paths, names, refresh

def test_help_lists_every_key(live, newest):
    view = launch(live, newest)
    columns = [rf"^\d {re.escape(title)}\s" for title in
               ("OWN", "TOTAL", "OWN TIME", "TOT TIME", "%OWN", "%TOTAL", "FUNCTION", "LOCATION")]
    seen_text = assert_help_lists(view, ("ui_keys.c", "view_top.c"), pages=10,  # other views: own tests
                                  until=columns)
    for column in columns:
        assert re.search(column, seen_text, re.M), f"column /{column}/ not explained"
    view.send("x")                      # any other key closes the help
    view.wait_for(lambda: view.rows(), "the table back")


def test_full_paths_and_long_names(live, newest):
    view = launch(live, newest, LONGNAMES, cols=110)
    wide = launch(live, newest, LONGNAMES, cols=200)
    method = "a_method_whose_name_is_much_too_long_for_any_column_of_the_table_abcdefghijklmnop_END"
    name = newest.qualname(f"AnEnclosingClassWithQuiteALongName.{method}")
    view.wait_for(lambda: view.samples() > 300, "samples")
    view.wait_for(lambda: view.rows()[0].func != name and "…" in view.rows()[0].func
                  and view.rows()[0].func.endswith("_END"), "the long name shortened in its column")
    first, second = view.details()
    whole = first[2:].rstrip() + second.strip().split("  ")[0]
    assert whole == name, f"the details lines show the whole name\n{view.describe()}"
    assert re.search(r"longnames\.py:\d+", second), "and where it is"
    assert view.rows()[0].loc.startswith("longnames.py:"), "short paths are relative to the cwd"
    wide.wait_for(lambda: wide.selected_name() == name, "the whole name on one details line")
    assert wide.details()[1].strip().startswith(str(LONGNAMES)), "the details line shows the full path"
    short = view.rows()[0].loc
    view.send("F")
    view.wait_for(lambda: view.rows()[0].loc != short and view.rows()[0].loc.endswith("/" + short)
                  and view.rows()[0].loc[0] in "/…", "F shows full paths (their end when too long)")
    wide.wait_for(lambda: wide.rows()[0].loc == short, "the same short location")
    wide.send("F")
    wide.wait_for(lambda: wide.rows()[0].loc == f"{LONGNAMES}:{short.split(':')[1]}", "the whole full path")
    before = view.rows()[0].func
    view.send("l")
    view.wait_for(lambda: view.rows()[0].func.startswith("…") and view.rows()[0].func != before,
                  "l scrolls the names")
    view.send("h")
    view.wait_for(lambda: view.rows()[0].func == before, "h scrolls back")


def test_refresh_keys_and_option(live, newest):
    view = launch(live, newest, opts=("--refresh", "0.2"))
    view.wait_for(lambda: "refresh 0.2s" in view.header()["state"], "refresh 0.2s")

    def count_refreshes(seconds):
        values, end = set(), time.monotonic() + seconds
        while time.monotonic() < end:
            view.pump(0.02)
            values.add(view.samples())
        return len(values)

    fast = count_refreshes(2.0)
    view.send("]]")
    view.wait_for(lambda: "refresh 1s" in view.header()["state"], "refresh 1s")
    slow = count_refreshes(2.0)
    assert fast >= 2 * slow, f"{fast} refreshes at 0.2s vs {slow} at 1s"
    view.send("[")
    view.wait_for(lambda: "refresh 0.5s" in view.header()["state"], "refresh 0.5s")


# ---------------------------------------------------------------- terminal sizes and types

def test_resize_and_too_small(live, newest):
    view = launch(live, newest, cols=160, lines=40)
    hot_ready(view)
    view.resize(90, 24)
    view.wait_for(lambda: view.display()[view.title_line()].rstrip().endswith("LOCATION")
                  and view.footer().startswith("? Help") and "Samples" in view.header_text()
                  and "hottest" in view.text(), "the view laid out for 90x24")
    assert len(view.display()) == 24 and "too small" not in view.text()
    view.resize(40, 8)
    view.wait_for(lambda: "too small" in view.text() and "40x8" in view.text(), "the too-small message")
    view.resize(120, 30)
    view.wait_for(lambda: "too small" not in view.text() and view.rows()
                  and view.footer().startswith("? Help"), "the view back at 120x30")
    view.send("q")
    view.wait_exit()
    terminal_restored(view)


@pytest.mark.parametrize("term,no_color,coloured", [("xterm", False, True), ("screen", False, True),
                                                    ("vt100", False, False), ("xterm-256color", True, False)],
                         ids=["xterm-8-colours", "screen", "vt100-monochrome", "NO_COLOR"])
def test_terminal_types_and_no_color(live, newest, term, no_color, coloured):
    env = {"NO_COLOR": "1"} if no_color else {}
    view = launch(live, newest, term=term, env=env)
    hot_ready(view)
    colours = {(c.fg, c.bg) for line in view.screen.buffer.values() for c in line.values()}
    used = any(fg != "default" or bg != "default" for fg, bg in colours)
    assert used == coloured, f"colours {'used' if used else 'missing'} on {term}{' with NO_COLOR' * no_color}"
    assert len(view.highlighted_rows()) == 1, "the selected row must stand out in every mode"
    view.send("q")
    view.wait_exit()
    terminal_restored(view)


# ---------------------------------------------------------------- ending

def _quit_and_check(view: LiveView, how: str) -> None:
    view.wait_for(lambda: view.samples() > 200, "samples")
    pid = view.target_pid
    if how == "q":
        view.send("q")
    elif how == "ctrl-c":
        view.send("\x03")                # raw mode: Ctrl-C is a key, not a signal
    else:
        os.kill(view.proc.pid, signal.SIGTERM if how == "sigterm" else signal.SIGHUP)
    view.wait_exit(timeout=20)
    terminal_restored(view)
    assert proc_state(pid) is None, f"the launched target {pid} is still there ({proc_state(pid)})"


@pytest.mark.parametrize("how", ["q", "sigterm"])
def test_quit_restores_terminal_and_ends_launched_target(live, ui_interp, how):
    _quit_and_check(launch(live, ui_interp), how)


@pytest.mark.parametrize("how", ["ctrl-c", "sighup"])
def test_ctrl_c_and_hangup_also_restore(live, newest, how):
    _quit_and_check(launch(live, newest), how)


def test_attached_target_keeps_running(live, newest, attach_target):
    target = attach_target(newest)
    view = live("-p", target.pid)
    view.wait_for(lambda: view.samples() > 200 and view.row("keep_busy"), "keep_busy sampled")
    assert f"PID {target.pid}" in view.display()[0]
    view.send("q")
    assert view.wait_exit() == 0
    terminal_restored(view)
    target.assert_running_and_progressing()


def test_target_exit_keeps_final_numbers_until_q(live, newest, tmp_path):
    stop = tmp_path / "stop"
    view = launch(live, newest, HOT, stop, 3)
    hot_ready(view)
    stop.touch()
    view.wait_for(lambda: "FINISHED (exit 3)" in view.header()["state"], "FINISHED (exit 3)")
    final = (view.samples(), view.rows())
    assert final[1][0].func == "hottest"
    waited = time.monotonic()
    while time.monotonic() - waited < 1.5:          # three refresh periods: nothing moves, no exit
        view.pump(0.1)
        assert view.proc.poll() is None, "proftui must wait for q"
        assert (view.samples(), view.rows()) == final, view.describe()
    view.send("q")
    assert view.wait_exit() == 3, "proftui exits with the command's status"
    terminal_restored(view)


def test_duration_reached_shows_stopped(live, newest):
    view = launch(live, newest, opts=("-d", "2s"))
    view.wait_for(lambda: "STOPPED" in view.header()["state"], "the STOPPED state after -d 2s", timeout=20)
    final = (view.samples(), view.rows())
    elapsed = parse_time(view.header()["elapsed"])
    assert 1.9 <= elapsed <= 3.0 and final[0] > 100, f"sampling lasted {elapsed}s, {final[0]} samples"
    view.pump(1.2)
    assert (view.samples(), view.rows()) == final and view.proc.poll() is None, view.describe()
    view.send("q")
    view.wait_exit()
    terminal_restored(view)


def test_not_a_terminal_is_a_clear_error(proftui, newest):
    res = run([proftui, "--", newest.path, HOT], timeout=30)
    assert_error_line(res, 9, "terminal")
