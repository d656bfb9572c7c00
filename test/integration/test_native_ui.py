# SPDX-License-Identifier: MIT
"""--native in the live view (issue 14): a program that spends its time in
zlib's C code shows its C functions among the rows, each one's location
its library and "[native]"; X hides them (the Python frames stay: the
time is the calling Python function's again) and shows them back, saying
so in the status line; the header's Native field gives the share of the
samples recorded mixed and refused, and says "hidden" while X hides them.
The engine's tests (test_native.py) check the stacks themselves on every
interpreter; this is the view, on the newest."""

import re

import pytest

from harness import run
from test_ui import launch, live, newest  # noqa: F401  (fixtures)


NATIVE_FIELD = re.compile(r"Native (hidden, )?(\d+)% mixed, (\d+\.\d)% refused(?!\S)")


def native_rows(view):
    return [r for r in view.rows() if r.loc.endswith("[native]")]


def native_field(view):
    """(hidden, mixed %, refused %) from the header's Native field, or None."""
    m = NATIVE_FIELD.search(view.header_text())
    return (bool(m[1]), int(m[2]), float(m[3])) if m else None


def mixed_shown(view, hidden: bool) -> bool:
    """The Native field says the zlib loop's samples are mixed (not all:
    a round finds no native sample of a thread that did not run since the
    last one, and a busy machine gives the target a fraction of a CPU: 61 %
    mixed at 37 % of a CPU), fewer refused, and hidden or not."""
    f = native_field(view)
    return bool(f) and f[0] == hidden and f[1] >= 10 and f[2] <= f[1]


def test_native_rows_and_key(live, newest, proftui, tmp_path):  # noqa: F811
    probe = run([proftui, "--native", "-d", "0.1s", "--", newest.path, "-c", "pass"])
    if probe.returncode == 11:
        pytest.skip("this proftui was built without libunwind")
    view = launch(live, newest, "../workloads/native_zlib.py", tmp_path / "info.json", "60",
                  opts=("--native",))
    view.wait_for(lambda: view.row("compress_loop") and any(
        re.search(r"libz\.so", r.loc) for r in native_rows(view)), "zlib's C functions among the rows")
    view.wait_for(lambda: mixed_shown(view, hidden=False), "the Native field: mixed")
    view.send("X")
    view.wait_for(lambda: view.row("compress_loop") and not native_rows(view)
                  and "native frames hidden" in view.text(), "native frames hidden")
    view.wait_for(lambda: mixed_shown(view, hidden=True), "the Native field: hidden")
    # the time spent in libz is compress_loop's own again
    view.wait_for(lambda: view.row("compress_loop").own_pct >= 50, "compress_loop's own time")
    view.send("X")
    view.wait_for(lambda: native_rows(view) and "native frames shown" in view.text()
                  and mixed_shown(view, hidden=False), "native frames shown again")
