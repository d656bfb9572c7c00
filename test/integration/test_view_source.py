# SPDX-License-Identifier: MIT
"""The source view (v) of functions that share a name, driven through a
real pseudo-terminal (uidriver.py), on two_runs.py: A.run and B.run in one
file. Before 3.11 both are "run" (co_name): the profile tells them apart by
their first lines (co_firstlineno), and the source view shows each its own
body, from its first decorator to its last line.
"""

import re

import pytest

from harness import marker_line, supported_interpreters
from test_ui import UI_INTERPS, UI_WORKLOADS, launch, live  # noqa: F401 (fixtures)
from uidriver import LiveView, view_details

TWO_RUNS = UI_WORKLOADS / "two_runs.py"


def _interpreters():
    """The UI tests' interpreters and the newest one without co_qualname
    (where the two run() share their name)."""
    chosen = list(UI_INTERPS)
    old = [i for i in supported_interpreters() if not i.has_qualname]
    if old and not any(not i.has_qualname for i in chosen):
        chosen.append(max(old, key=lambda i: i.version_info))
    return chosen


INTERPS = _interpreters()


def run_row(view: LiveView, name: str, loc: str):
    """The row of function `name` whose location is exactly `loc`."""
    return next((r for r in view.rows() if r.func == name and r.loc == loc), None)


def select_row(view: LiveView, name: str, loc: str) -> None:
    """Move the selection to the row (name, loc), one row at a time."""
    for _ in range(40):
        target = run_row(view, name, loc)
        assert target, view.describe()
        marked = view.highlighted_rows()
        if marked == [target.y]:
            return
        view.send("j" if not marked or marked[0] < target.y else "k")
        view.pump(0.2)
    assert view.highlighted_rows() == [run_row(view, name, loc).y], view.describe()


@pytest.mark.parametrize("python", INTERPS, ids=[i.id for i in INTERPS])
def test_same_named_functions_each_show_their_own_body(live, python):
    view = launch(live, python, TWO_RUNS)
    a_hot, b_hot = marker_line(TWO_RUNS, "A-HOT"), marker_line(TWO_RUNS, "B-HOT")
    runs = [(python.qualname("A.run"), a_hot, marker_line(TWO_RUNS, "A-FIRST"), marker_line(TWO_RUNS, "A-LAST")),
            (python.qualname("B.run"), b_hot, marker_line(TWO_RUNS, "B-FIRST"), b_hot)]
    # Only the rows of two_runs.py (the filter matches names and files), so
    # that the interpreter's start-up frames caught by the first samples
    # never push the two run() rows below the screen.
    view.send("/two_runs")
    view.wait_for(lambda: "Filter: two_runs" in view.footer(), "the filter prompt")
    view.send("\r")
    view.wait_for(lambda: "Help" in view.footer(), "the footer's keys back")
    view.send("7")                       # by name: the rows keep their places
    view.wait_for(lambda: view.header()["sort"][0] == "FUNCTION" and
                  all(run_row(view, name, f"two_runs.py:{hot}") for name, hot, _, _ in runs),
                  "a row for each run(), on its own busiest line")
    if not python.has_qualname:
        assert sum(r.func == "run" for r in view.rows()) == 2, view.describe()
    for name, hot, first, last in runs:
        select_row(view, name, f"two_runs.py:{hot}")
        view.send("v")
        view.wait_for(lambda: f"SOURCE of {name}" in view.text() and
                      re.search(r"Function (\S+)\s+Lines (\d+)-(\d+) of \d+ lines", view.text()),
                      f"the source view of {name}")
        m = re.search(r"Function (\S+)\s+Lines (\d+)-(\d+) of \d+ lines", view.text())
        assert (m[1], int(m[2]), int(m[3])) == (name, first, last), view.describe()
        view.wait_for(lambda: view_details(view)[0].startswith((f"▶ line {hot}:", f"> line {hot}:")),
                      f"{name}'s hot line selected")
        view.send("\x1b")                # Esc: back to the top view
        view.wait_for(lambda: view.header()["sort"][0] == "FUNCTION" and view.rows(), "back to the top view")
