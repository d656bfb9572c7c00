# SPDX-License-Identifier: MIT
"""Copied stacks (3.11+): within a process that is read every round (one
thread always runs), the stack of a thread that did not run since it was
read is copied from the last walk, not read again (walker_still). The
copies must be true: parked threads always show park(), a thread that
moves between two naps shows each about half of its samples (a copy kept
across a move would keep it in the nap it left), and the -v log counts
the copies (none before 3.11, where frame objects are read as one copy of
every frame seen lately, for every thread alike), and the thread states
kept from the walk before (walker_list_still: a still thread whose next
one in the list is still too; on every version)."""

import re

import pytest

from harness import one_per_version_params, profile_workload

SECONDS = 3.0


@pytest.mark.parametrize("interp", one_per_version_params())
def test_still_threads_copied_and_true(proftui, interp, tmp_path):
    log = tmp_path / "log.txt"
    r = profile_workload(proftui, interp, "still.py", [SECONDS], ["-v", log], tmp_path,
                         timeout=60 + 2 * SECONDS)
    assert r.result.returncode == 0, r.describe()
    prof = r.profile
    assert prof is not None, r.describe()
    by_thread = {}
    for s in prof.stacks:
        by_thread.setdefault(s.thread, []).append(s)
    parked = [name for name in by_thread if name.startswith("parked-")]
    assert len(parked) == 4, prof.summary()
    for name in parked:
        # each parked thread: park() under every sample once it got there
        stacks = by_thread[name]
        total = sum(s.count for s in stacks)
        in_park = sum(s.count for s in stacks if "park" in s.names())
        assert total > 500 and in_park >= 0.97 * total, f"{name}\n{prof.summary()}"
    napper = by_thread.get("napper", [])
    a = sum(s.count for s in napper if "nap_a" in s.names())
    b = sum(s.count for s in napper if "nap_b" in s.names())
    assert a + b > 500, prof.summary()
    assert r.info["nap_a"] >= 10, r.info
    assert 0.35 <= a / (a + b) <= 0.65, f"nap_a {a}, nap_b {b}: naps {r.info}\n{prof.summary()}"
    m = re.search(r"(\d+) of (\d+) thread stacks walked were copied", log.read_text())
    assert m, log.read_text()
    copied, walked = int(m[1]), int(m[2])
    if interp.version_info >= (3, 11):
        # five of the seven threads sleep nearly all the time
        assert copied > 0.5 * walked, log.read_text()
    else:
        assert copied == 0, log.read_text()
    m = re.search(r"(\d+) of the thread states too", log.read_text())
    assert m, log.read_text()
    # the four parked threads are next to each other in the list (at least
    # three have a parked one next), and MainThread waits too
    assert int(m[1]) > 0.35 * walked, log.read_text()
