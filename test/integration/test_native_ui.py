# SPDX-License-Identifier: MIT
"""--native in the live view (issue 14): a program that spends its time in
zlib's C code shows its C functions among the rows, each one's location
its library and "[native]"; X hides them (the Python frames stay: the
time is the calling Python function's again) and shows them back, saying
so in the status line. The engine's tests (test_native.py) check the
stacks themselves on every interpreter; this is the view, on the newest."""

import re

import pytest

from harness import run
from test_ui import launch, live, newest  # noqa: F401  (fixtures)


def native_rows(view):
    return [r for r in view.rows() if r.loc.endswith("[native]")]


def test_native_rows_and_key(live, newest, proftui, tmp_path):  # noqa: F811
    probe = run([proftui, "--native", "-d", "0.1s", "--", newest.path, "-c", "pass"])
    if probe.returncode == 11:
        pytest.skip("this proftui was built without libunwind")
    view = launch(live, newest, "../workloads/native_zlib.py", tmp_path / "info.json", "60",
                  opts=("--native",))
    view.wait_for(lambda: view.row("compress_loop") and any(
        re.search(r"libz\.so", r.loc) for r in native_rows(view)), "zlib's C functions among the rows")
    view.send("X")
    view.wait_for(lambda: view.row("compress_loop") and not native_rows(view)
                  and "native frames hidden" in view.text(), "native frames hidden")
    # the time spent in libz is compress_loop's own again
    view.wait_for(lambda: view.row("compress_loop").own_pct >= 50, "compress_loop's own time")
    view.send("X")
    view.wait_for(lambda: native_rows(view) and "native frames shown" in view.text(),
                  "native frames shown again")
