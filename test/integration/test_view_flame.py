# SPDX-License-Identifier: MIT
"""The flame graph (f) and source (v) views and the mouse, driven through a
real pseudo-terminal and read through a terminal emulator (uidriver.py),
on flame_ab.py: main() calls alpha() (~60 %) and beta() (~30 %), which both
call burn(), and spun() (~10 %), whose code has no file.
"""

import os
import re
import signal

import pytest

from harness import marker_line
from test_ui import UI_WORKLOADS, launch, live, newest, ui_interp, terminal_restored  # noqa: F401 (fixtures)
from uidriver import (LiveView, assert_help_lists, mouse_click, mouse_wheel, painted_runs, parse_pct, parse_time, screen_line,
                      screen_samples, terminfo_string, view_details)

FLAME_AB = UI_WORKLOADS / "flame_ab.py"
SELECTED_BG = "blue"       # the selected box (UI_EL_FLAME_SEL)
USER_BG = "brown"          # the user's own code (UI_EL_FLAME_USER: yellow, which pyte calls brown)


def flame(view: LiveView):
    """The flame graph's rows as on screen: {line: [boxes]} between its
    title line and the details."""
    top = screen_line(view, r"^ FLAME GRAPH")
    end = screen_line(view, r"^[▶>] ")
    return {y: painted_runs(view, y) for y in range(top + 1, end)}


def box(view: LiveView, name: str):
    """The box whose text is `name` (the first, top down), or None."""
    for boxes in flame(view).values():
        for b in boxes:
            if b.text == name:
                return b
    return None


def selected(view: LiveView) -> str:
    return re.split(r"\s{2,}", view_details(view)[0][1:].strip())[0]


def open_flame(live, interp, samples=1500, **kw) -> LiveView:
    view = launch(live, interp, FLAME_AB, **kw)
    view.send("f")
    view.wait_for(lambda: screen_samples(view) >= samples and box(view, "alpha") and box(view, "beta"),
                  f"{samples} samples and alpha, beta in the flame graph")
    return view


def select(view: LiveView, name: str) -> None:
    """From the root, down the heaviest path and along the row to `name`."""
    view.send("g")                       # Home: the root
    view.wait_for(lambda: selected(view) == "all threads", "the root selected")
    for _ in range(12):
        if selected(view) == name:
            return
        b = box(view, name)
        sel = next(x for boxes in flame(view).values() for x in boxes if x.bg == SELECTED_BG)
        if b and b.y == sel.y:
            view.send("l" if b.x > sel.x else "h")
        else:
            view.key("down")
        view.pump(0.2)
    assert selected(view) == name, view.describe()


def test_alpha_and_beta_side_by_side_in_proportion(live, ui_interp):
    view = open_flame(live, ui_interp)
    rows = flame(view)
    main, alpha, beta = box(view, "main"), box(view, "alpha"), box(view, "beta")
    assert main and alpha.y == beta.y == main.y + 1, view.describe()        # the root at the top
    assert main.x <= alpha.x and alpha.x + alpha.w < beta.x and beta.x + beta.w <= main.x + main.w + 1
    # Widths count the gap column that ends each box.
    ratio = (alpha.w + 1) / (beta.w + 1)
    assert 1.5 <= ratio <= 2.7, f"alpha:beta = {ratio:.2f}\n{view.describe()}"
    burns = [b for b in rows[alpha.y + 1] if b.text == "burn"]
    assert len(burns) == 2 and burns[0].x == alpha.x and burns[1].x == beta.x, view.describe()
    assert alpha.bg == beta.bg == burns[0].bg == USER_BG, "the user's code is not in its colour"
    assert box(view, "spun") and box(view, "spun").bg == "magenta", "code without a file is not in its colour"
    assert box(view, "all threads").bg == SELECTED_BG and selected(view) == "all threads"
    title = view.display()[screen_line(view, r"^ FLAME GRAPH")]
    assert "all threads" in title and "root at the top" in title
    # The details: name, shares and times, file and busiest line.
    select(view, "alpha")
    first, second = view_details(view)
    m = re.search(r"total ([\d.]+%) (\S+) · own (<?[\d.]+%) (\S+)$", first)
    assert m and 45 <= parse_pct(m[1]) <= 75 and parse_pct(m[3]) < 5, first
    assert parse_time(m[2]) > 0.5, first
    assert second.strip().endswith(f"flame_ab.py:{marker_line(FLAME_AB, 'ALPHA-HOT')} (its busiest line)"), second
    view.send("l")
    view.wait_for(lambda: selected(view) == "beta" and box(view, "beta").bg == SELECTED_BG, "beta selected")


def test_zoom_invert_and_selection_across_refreshes(live, newest):
    view = open_flame(live, newest)
    select(view, "alpha")
    view.send("z")
    view.wait_for(lambda: box(view, "alpha") and box(view, "alpha").x == 0 and
                  box(view, "alpha").w >= view.cols - 1 and not box(view, "beta"), "alpha zoomed to the full width")
    assert box(view, "burn").w >= 0.95 * view.cols and box(view, "main") is None   # alpha runs itself a little
    assert re.search(r"Zoom .*main › alpha", view.text()), view.describe()
    # The zoom and the selection stay as the numbers refresh.
    n = screen_samples(view)
    view.wait_for(lambda: screen_samples(view) > n + 500, "more samples")
    assert selected(view) == "alpha" and box(view, "alpha").x == 0
    view.key("down")
    view.wait_for(lambda: selected(view) == "burn", "burn selected")
    view.send("Z")
    view.wait_for(lambda: box(view, "beta") and box(view, "main"), "zoomed out")
    assert selected(view) == "burn" and not re.search(r"Zoom .*main ›", view.text())
    # Inverted: the root on the last line, callees above their callers.
    view.send("i")
    view.wait_for(lambda: "root at the bottom" in view.text(), "the inverted graph")
    rows = flame(view)
    last = max(y for y, boxes in rows.items() if boxes)
    assert [b.text for b in rows[last]] == ["all threads"], view.describe()
    assert box(view, "alpha").y == box(view, "main").y - 1 == box(view, "burn").y + 1
    view.key("down")                     # down on screen: toward the root now
    view.wait_for(lambda: selected(view) == "alpha", "alpha selected by moving down")
    view.send("\x7f")                    # Backspace with nothing zoomed: nothing
    view.send("i")
    view.wait_for(lambda: "root at the top" in view.text(), "the graph the right way up")
    assert selected(view) == "alpha"


def test_source_of_alpha(live, newest):
    view = open_flame(live, newest)
    select(view, "alpha")
    view.send("v")
    view.wait_for(lambda: "SOURCE of alpha" in view.text(), "the source view")
    hot = marker_line(FLAME_AB, "ALPHA-HOT")
    first = marker_line(FLAME_AB, "ALPHA-FIRST") - 1        # def alpha():
    y = screen_line(view, r"# ALPHA-HOT")
    line = view.display()[y]
    cells = view.screen.buffer[y]
    assert cells[0].bg != "default" or cells[0].reverse, f"the hot line is not selected\n{view.describe()}"
    # LINE %OWN %TOTAL, the split of a live run (%PY %C %SYS), the bar, the code
    m = re.match(rf"\s*{hot}\s+(<?[\d.]+%)\s+([\d.]+%)(?:\s+(?:\d+%|<1%|-)){{3}}\s+\S+\s+burn\(step\)",
                 line)
    assert m and parse_pct(m[1]) < 5 and 45 <= parse_pct(m[2]) <= 75, line
    assert re.search(rf"Function alpha\s+Lines {first}-{hot} of \d+ lines", view.text()), view.describe()
    assert view_details(view)[0].startswith(("▶ line %d:" % hot, "> line %d:" % hot))
    # A line without samples (the blank one after alpha) shows no numbers;
    # n goes to the next line with some.
    blank = view.display()[y + 1]
    assert re.fullmatch(rf"\s*{hot + 1}\s*", blank), blank
    view.key("up")
    view.wait_for(lambda: view_details(view)[0].startswith(("▶ line %d:" % (hot - 1), "> line %d:" % (hot - 1))),
                  "the line above selected")
    view.send("n")
    view.wait_for(lambda: view_details(view)[0].startswith(("▶ line %d:" % hot, "> line %d:" % hot)),
                  "n back on the hot line")
    view.send("\x1b")                    # Esc: back to the flame graph, alpha still selected
    view.wait_for(lambda: "FLAME GRAPH" in view.text() and selected(view) == "alpha", "back to the flame graph")


def test_source_without_a_file(live, newest):
    view = launch(live, newest, FLAME_AB)
    view.send("/spun\r")
    view.wait_for(lambda: view.rows() and view.rows()[0].func == "spun", "spun in the top view")
    view.send("v")
    view.wait_for(lambda: "SOURCE of spun" in view.text(), "the source view of spun")
    assert "Source not shown: <generated>: no source file: the code comes from <generated>" in view.text()
    # Only the lines with samples: the loop (line 3 of the string) is the hottest.
    y = screen_line(view, r"Source not shown")
    rows = [line for line in view.display()[y + 1:] if re.match(r"\s+\d+\s+[\d.<]+%", line)]
    assert rows and all(re.match(r"\s+[1-3]\s", r) for r in rows), view.describe()
    assert view_details(view)[0].startswith(("▶ line 3:", "> line 3:")), view.describe()
    view.send("\x7f")                    # Backspace goes back too
    view.wait_for(lambda: view.rows() and "FUNCTION" in view.text(), "back to the top view")


def test_mouse_clicks_wheel_and_terminal_restored(live, newest):
    if not terminfo_string("xterm-256color", "kmous"):
        pytest.skip("this terminfo has no mouse (kmous) for xterm-256color")
    view = open_flame(live, newest)
    beta = box(view, "beta")
    mouse_click(view, beta.y, beta.x + beta.w // 2)     # the middle: refreshes move edges a column
    view.wait_for(lambda: selected(view) == "beta" and box(view, "beta").bg == SELECTED_BG, "beta clicked")
    alpha = box(view, "alpha")
    mouse_click(view, alpha.y, alpha.x + alpha.w // 2, double=True)
    view.wait_for(lambda: box(view, "alpha") and box(view, "alpha").w >= view.cols - 1 and not box(view, "beta"),
                  "alpha zoomed by a double click")
    mouse_wheel(view, alpha.y, 5, down=True)
    view.wait_for(lambda: selected(view) == "burn", "the wheel moved down to burn")
    view.send("Z")
    title = screen_line(view, r"^ FLAME GRAPH")
    mouse_click(view, title, 3)           # the title line: nothing
    mouse_click(view, view.lines - 1, 3)  # the footer: nothing
    view.pump(0.5)
    assert selected(view) == "burn"
    # The top view, flame_ab.py's functions by name (rows keep their
    # places): a click selects the row under the pointer.
    view.send("t7/flame_ab\r")
    view.wait_for(lambda: view.header()["sort"][0] == "FUNCTION" and
                  [r.func for r in view.rows()] == ["<module>", "alpha", "beta", "burn", "main"],
                  "flame_ab.py's functions by name")
    assert view.selected_name() == "<module>"
    mouse_click(view, view.row("beta").y, 10)
    view.wait_for(lambda: view.selected_name() == "beta", "beta selected by a click")
    view.send("q")
    view.wait_exit()
    terminal_restored(view)
    raw = bytes(view.raw)
    on = [m.end() for m in re.finditer(rb"\x1b\[\?[\d;]*1000[\d;]*h", raw)]
    off = [m.end() for m in re.finditer(rb"\x1b\[\?[\d;]*1000[\d;]*l", raw)]
    assert on, "mouse reporting was never turned on"
    assert off and off[-1] > on[-1], "mouse reporting was left on"


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_mouse_reporting_off_on_other_exits(live, newest, how):
    view = open_flame(live, newest, samples=100)
    if how == "ctrl-c":
        view.send("\x03")
    else:
        os.kill(view.proc.pid, signal.SIGTERM)
    view.wait_exit()
    terminal_restored(view)
    raw = bytes(view.raw)
    on = [m.end() for m in re.finditer(rb"\x1b\[\?[\d;]*1000[\d;]*h", raw)]
    off = [m.end() for m in re.finditer(rb"\x1b\[\?[\d;]*1000[\d;]*l", raw)]
    assert not on or (off and off[-1] > on[-1]), "mouse reporting was left on"


def test_filter_dims_and_threshold_merges(live, newest):
    view = open_flame(live, newest)
    view.send("/beta")
    view.wait_for(lambda: box(view, "beta") and not box(view, "alpha"), "alpha dimmed by the filter")
    alpha_line = view.display()[box(view, "beta").y]
    assert alpha_line.startswith("alpha"), alpha_line     # still there, not painted
    view.send("\r\x1b")                  # keep, then clear the filter
    view.wait_for(lambda: box(view, "alpha") and box(view, "beta"), "the filter cleared")
    view.send("+" * 9)                   # 50 %: beta (30 %) and spun (10 %) merge
    view.wait_for(lambda: box(view, "alpha") and not box(view, "beta"), "beta merged by the threshold")
    y = box(view, "alpha").y
    assert re.search(r"\+2\b", view.display()[y]), view.describe()
    assert re.search(r"\d+ narrow frames merged", view.text()), view.describe()


@pytest.mark.parametrize("key,files", [("f", ("view_flame.c",)), ("v", ("view_source.c",))])
def test_help_lists_the_views_keys(live, newest, key, files):
    view = open_flame(live, newest, samples=200)
    if key == "v":
        select(view, "alpha")
        view.send("v")
        view.wait_for(lambda: "SOURCE of alpha" in view.text(), "the source view")
    assert_help_lists(view, files + ("ui_keys.c",), help_chars=60)


def test_enter_and_double_click_open_callers(live, newest):
    view = open_flame(live, newest)
    select(view, "alpha")
    view.send("\r")                      # Enter: the callers / callees of the selected frame's function
    view.wait_for(lambda: any(line.section == "focus" and line.func == "alpha" for line in view.callers_lines()),
                  "the callers / callees of alpha")
    view.send("\x1b")
    view.wait_for(lambda: "FLAME GRAPH" in view.text() and selected(view) == "alpha", "back to the flame graph")
    if not terminfo_string("xterm-256color", "kmous"):
        return
    view.send("t7/flame_ab\r")           # the top view: a double click on beta opens its callers
    view.wait_for(lambda: [r.func for r in view.rows()] == ["<module>", "alpha", "beta", "burn", "main"],
                  "flame_ab.py's functions by name")
    mouse_click(view, view.row("beta").y, 10, double=True)
    view.wait_for(lambda: any(line.section == "focus" and line.func == "beta" for line in view.callers_lines()),
                  "the callers / callees of beta")


def test_line_level_frames_come_and_go(live, newest):  # noqa: F811
    """L: one frame per (function, line), labelled as the call tree's line
    level shows them (alpha (flame_ab.py:N)); L again: one alpha."""
    view = open_flame(live, newest)
    hot = marker_line(FLAME_AB, "ALPHA-HOT")
    label = re.compile(r"^alpha \((?:.*/)?flame_ab\.py:%d\)$" % hot)

    def level(name):
        return any(re.search(r"\bLevel %s\b" % name, line) for line in view.display())

    def alphas():
        return [b.text for boxes in flame(view).values() for b in boxes if b.text.startswith("alpha")]

    view.send("L")
    view.wait_for(lambda: level("line") and any(label.match(t) for t in alphas())
                  and "alpha" not in alphas(), f"alpha's line {hot} as a frame of its own")
    select(view, next(t for t in alphas() if label.match(t)))
    assert re.search(r"flame_ab\.py:%d \(this frame's line\)" % hot, view_details(view)[1]), view.describe()
    view.send("L")
    view.wait_for(lambda: level("function") and alphas() == ["alpha"],
                  "one alpha frame again")
