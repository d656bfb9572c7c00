# SPDX-License-Identifier: MIT
"""The call tree view (c) and the callers / callees view (Enter), driven
through a real pseudo-terminal (uidriver.py) on workloads_ui/calls.py:
main() calls alpha() (~60 % of the time) and beta() (~30 %), which both
call burn() (5/6 of their time). Shares are compared as ratios within one
screen, with tolerances, once enough samples are in; every wait polls with
a deadline.
"""

import re

import pytest

from harness import marker_line
from test_ui import UI_WORKLOADS, live, newest, ui_interp  # noqa: F401 (fixtures)
from uidriver import LiveView, assert_help_lists

CALLS = UI_WORKLOADS / "calls.py"
MIN_SAMPLES = 1500


def start(live, interp, *target, opts=(), **kw) -> LiveView:  # noqa: F811
    """proftui OPTS -- PYTHON TARGET..., from the workloads' directory, in
    the call tree view once the first samples are in."""
    view = live(*opts, "--", interp.path, *(target or (CALLS,)), cwd=UI_WORKLOADS, **kw)
    view.launched = True
    view.wait_for(lambda: view.rows(), "the first rows of the top view")
    view.target_pid = int(view.header()["pid"])
    view.send("c")
    view.wait_for(lambda: "call tree" in view.display()[view.title_line()] and view.tree_rows(),
                  "the call tree view")
    return view


def near(value: float, want: float, tol: float) -> bool:
    return abs(value - want) <= tol


def tree_shape_ok(view: LiveView, samples: int = MIN_SAMPLES):
    """main with alpha (~60 % of main) and beta (~30 %) under it, burn under
    alpha; returns the rows (main, alpha, beta) once there."""
    if view.samples() < samples:
        return None
    main, alpha, beta = view.tree_row("main"), view.tree_row("alpha", "main"), view.tree_row("beta", "main")
    if not (main and alpha and beta and main.total_pct > 0):
        return None
    a, b = alpha.total_pct / main.total_pct, beta.total_pct / main.total_pct
    if near(a, 0.6, 0.12) and near(b, 0.3, 0.1) and 1.4 <= alpha.total_pct / beta.total_pct <= 2.9:
        return main, alpha, beta
    return None


def select(view: LiveView, func: str, parent=None) -> None:
    """Move the selection down to the tree row of func (from the top)."""
    view.send("g")
    view.wait_for(lambda: view.tree_rows() and view.selected_name() == view.tree_rows()[0].func, "the first row")
    target = view.wait_for(lambda: view.tree_row(func, parent), f"a row of {func}")
    rows = view.tree_rows()
    index = next(i for i, r in enumerate(rows) if r.y == target.y)
    view.send("j" * index)
    view.wait_for(lambda: view.selected_name() == func, f"{func} selected")


def test_tree_shows_call_paths_with_shares(live, ui_interp):  # noqa: F811
    view = start(live, ui_interp)
    main, alpha, beta = view.wait_for(lambda: tree_shape_ok(view), "alpha ~60 % and beta ~30 % under main")
    rows = view.tree_rows()
    burn = view.tree_row("burn", "alpha")
    assert alpha.depth == main.depth + 1 and beta.depth == main.depth + 1, view.describe()
    # The hottest path is unfolded at first: main, alpha, burn; beta is folded.
    assert main.fold == "open" and alpha.fold == "open" and beta.fold == "closed", view.describe()
    assert burn is not None and burn.fold == "leaf" and burn.depth == alpha.depth + 1, view.describe()
    assert rows.index(alpha) < rows.index(beta), "children by total, most first"
    # burn is nearly all of alpha (5/6), all of it its own time; alpha's own is the rest.
    assert 0.65 <= burn.total_pct / alpha.total_pct <= 0.97, view.describe()
    assert burn.own_pct == pytest.approx(burn.total_pct, abs=0.2), view.describe()
    assert 0.03 <= alpha.own_pct / alpha.total_pct <= 0.35, view.describe()
    assert burn.loc == f"calls.py:{marker_line(CALLS, 'BURN-LINE')}", view.describe()
    assert view.header()["threshold"] == ("0", "0") and "Bootstrap shown" in view.header_text()


def test_fold_unfold_and_hottest_path(live, newest):  # noqa: F811
    view = start(live, newest)
    view.wait_for(lambda: tree_shape_ok(view), "the tree of calls.py")
    select(view, "alpha", "main")
    view.send("o")
    view.wait_for(lambda: view.tree_row("alpha", "main").fold == "closed"
                  and view.tree_row("burn", "alpha") is None, "alpha folded: burn hidden")
    # The fold and the selection survive refreshes and a trip through the thread views.
    samples = view.samples()
    view.wait_for(lambda: view.samples() > samples + 300, "a few refreshes")
    view.key("right")
    view.wait_for(lambda: view.header()["view"].startswith("thread ") and view.tree_rows(), "the main thread's view")
    view.key("left")
    view.wait_for(lambda: view.header()["view"] == "all threads" and view.tree_rows(), "all threads again")
    assert view.tree_row("alpha", "main").fold == "closed" and view.tree_row("burn", "alpha") is None
    assert view.selected_name() == "alpha", view.describe()
    view.send("\t")                     # Tab unfolds it again
    view.wait_for(lambda: view.tree_row("burn", "alpha") is not None, "alpha unfolded: burn back")
    view.send("C")
    view.wait_for(lambda: all(r.depth == 0 for r in view.tree_rows())
                  and view.tree_row("main") is None, "everything folded: the outermost frames only")
    view.send("x")
    view.wait_for(lambda: view.tree_row("burn", "alpha") is not None and view.selected_name() == "burn"
                  and view.tree_row("beta", "main").fold == "closed", "x: the hottest path unfolded, its end selected")
    view.send("O")
    view.wait_for(lambda: view.tree_row("burn", "beta") is not None, "O: everything unfolded")


def test_bootstrap_frames_fold_away(live, newest):  # noqa: F811
    view = start(live, newest, "-m", "calls")         # runpy's frames above main
    view.wait_for(lambda: view.samples() > 300 and view.tree_rows()
                  and view.tree_rows()[0].func == "_run_module_as_main"
                  and (view.tree_row("main", "_run_code") or view.tree_row("main", "<module>")),
                  "runpy's frames (and <module>), then main")
    assert view.tree_row("main").depth >= 2, view.describe()
    view.send("b")
    view.wait_for(lambda: "Bootstrap folded" in view.header_text() and view.tree_rows()
                  and view.tree_rows()[0].func == "main" and view.tree_rows()[0].depth == 0
                  and view.tree_row("alpha", "main"), "main at the top level")
    names = {r.func for r in view.tree_rows()}
    assert not names & {"<module>", "_run_module_as_main", "_run_code"}, view.describe()
    view.wait_for(lambda: tree_shape_ok(view, 800), "the shares unchanged under main")
    view.send("b")
    view.wait_for(lambda: "Bootstrap shown" in view.header_text()
                  and view.tree_rows()[0].func == "_run_module_as_main", "the bootstrap frames back")


def test_threshold_and_line_level(live, newest):  # noqa: F811
    view = start(live, newest)
    view.wait_for(lambda: tree_shape_ok(view), "the tree of calls.py")
    for step in ("0.1", "0.2", "0.5", "1", "2", "5", "10", "20", "50"):
        view.send("+")
        view.wait_for(lambda: view.header()["threshold"][0] == step, f"threshold {step}%")
    # At 50 %, alpha (~55 % of all) stays and beta (~28 %) goes, and is counted.
    view.wait_for(lambda: view.tree_row("alpha", "main") and view.tree_row("beta", "main") is None
                  and int(view.header()["threshold"][1]) >= 1
                  and all(r.total_pct >= 50 for r in view.tree_rows()), "paths under 50 % hidden")
    for _ in range(9):
        view.send("-")
    view.wait_for(lambda: view.header()["threshold"][0] == "0" and view.tree_row("beta", "main"), "threshold 0")
    view.send("L")
    alpha_line = marker_line(CALLS, "ALPHA-LINE")
    view.wait_for(lambda: view.header()["level"] == "line"
                  and len([r for r in view.tree_rows() if r.func == "alpha"]) >= 2
                  and any(r.loc == f"calls.py:{alpha_line}" for r in view.tree_rows() if r.func == "alpha"),
                  "alpha split by line (its loop, and its call of burn)")
    view.send("L")
    view.wait_for(lambda: view.header()["level"] == "function"
                  and len([r for r in view.tree_rows() if r.func == "alpha"]) == 1, "one alpha again")


def test_filter_shows_paths_to_matches(live, newest):  # noqa: F811
    view = start(live, newest)
    view.wait_for(lambda: tree_shape_ok(view), "the tree of calls.py")
    view.send("/bet")
    view.wait_for(lambda: view.tree_row("beta", "main") and view.tree_row("alpha") is None
                  and view.header()["filter"][0] == "bet", "the path to beta only")
    view.send("\r\x1b")                 # keep it, then Esc clears it (the tree has no Esc of its own)
    view.wait_for(lambda: "filter" not in view.header() and view.tree_row("alpha", "main"), "all paths back")
    # Settings changed in another view apply when the tree is shown again
    # (paused: no refresh brings new rows meanwhile).
    view.send("p")
    view.wait_for(lambda: "PAUSED" in view.header()["state"], "paused")
    view.send("t")
    view.wait_for(lambda: view.rows(), "the top view")
    view.send("/alph\r")
    view.wait_for(lambda: [r.func for r in view.rows()] == ["alpha"], "the top view filtered")
    view.send("c")
    view.wait_for(lambda: "call tree" in view.display()[view.title_line()] and view.tree_row("alpha", "main")
                  and view.tree_row("beta") is None, "the tree filtered too")


def callers_of(view: LiveView, focus: str):
    lines = view.callers_lines()
    if not any(line.section == "focus" and line.func == focus for line in lines):
        return None
    return ({line.func: line for line in lines if line.section == "caller"},
            {line.func: line for line in lines if line.section == "callee"})


def test_callers_and_callees(live, newest):  # noqa: F811
    view = start(live, newest)
    view.wait_for(lambda: tree_shape_ok(view), "the tree of calls.py")
    select(view, "alpha", "main")
    view.send("\r")
    callers, callees = view.wait_for(lambda: callers_of(view, "alpha"), "the callers / callees of alpha")
    assert view.header_text().count("Focus alpha") == 1
    assert set(callers) == {"main"} and callers["main"].focus_pct == pytest.approx(100, abs=0.1), view.describe()
    assert {"burn", "[self]"} <= set(callees), view.describe()
    assert 0.65 <= callees["burn"].focus_pct / 100 <= 0.97, view.describe()
    assert callees["burn"].focus_pct + callees["[self]"].focus_pct == pytest.approx(100, abs=1.5)
    # Down to burn, Enter: alpha and beta call it about 2:1.
    view.wait_for(lambda: view.selected_name().startswith("alpha"), "alpha (the focus) selected")
    view.send("j")
    view.wait_for(lambda: view.details()[0].startswith("▶ alpha → burn"), "burn selected")
    view.send("\r")
    def burn_callers():
        got = callers_of(view, "burn")
        if not got or view.samples() < MIN_SAMPLES or set(got[0]) != {"alpha", "beta"}:
            return None
        return got if 1.4 <= got[0]["alpha"].focus_pct / got[0]["beta"].focus_pct <= 2.9 else None
    callers, callees = view.wait_for(burn_callers, "alpha and beta calling burn about 2:1")
    assert callers["alpha"].focus_pct + callers["beta"].focus_pct == pytest.approx(100, abs=1.5), view.describe()
    assert set(callees) == {"[self]"}, view.describe()
    # Esc comes back step by step: alpha (with burn selected), then the tree.
    view.send("\x1b")
    view.wait_for(lambda: callers_of(view, "alpha") and view.details()[0].startswith("▶ alpha → burn"),
                  "back to alpha, burn selected")
    view.send("\x7f")                   # Backspace too
    view.wait_for(lambda: "call tree" in view.display()[view.title_line()] and view.selected_name() == "alpha",
                  "back to the call tree, alpha selected")


def test_function_without_samples_in_thread(live, newest):  # noqa: F811
    view = start(live, newest, UI_WORKLOADS / "threads.py")
    view.wait_for(lambda: view.samples() > 300 and view.tree_row("worker_thread_work"), "the worker's function")
    select(view, "worker_thread_work")
    view.send("\r")
    view.wait_for(lambda: callers_of(view, "worker_thread_work"), "its callers / callees")
    for _ in range(4):                  # the thread views: one of them is not the worker's
        view.key("right")
        view.pump(0.3)
        if re.search(r"has no samples in this thread", view.text()):
            break
    assert "worker_thread_work has no samples in this thread" in view.text(), view.describe()


@pytest.mark.parametrize("key,files", [("c", ("view_tree.c",)), ("\r", ("view_callers.c",))])
def test_help_lists_the_views_keys(live, newest, key, files):  # noqa: F811
    view = start(live, newest)
    view.wait_for(lambda: view.tree_rows() and view.samples() > 200, "rows")
    if key == "\r":
        view.send("\r")
        view.wait_for(lambda: view.callers_lines(), "the callers / callees view")
    assert_help_lists(view, files + ("ui_keys.c",), help_chars=60)
