# SPDX-License-Identifier: MIT
"""Samples of call-heavy code are true (issue "torn stacks"): the stack of a
thread changes many times while one sample is read, and still each sample
must be one real stack, few samples may fail, and a function's share of
the samples must be its share of the time. Workload: workloads/calls.py.

The in-process truth: calls.py counts, from a timer signal's handler,
which of leaf() and its caller it interrupted (see leaf_share there)."""

import math

import pytest

from harness import GC, TRUNCATED, one_per_version_params, profile_workload

SECONDS = 4.0
# Share of leaf(): proftui's against the in-process count. Both are
# samples, so each is off by its binomial error (computed from the counts),
# and the count is off by up to leaf_share_error (signals taken at leaf()'s
# first instruction); SHARE_TOLERANCE is for the rest (the handler runs at
# the next instruction that checks for signals, proftui reads at any
# instant). Measured on a busy 2-core machine: within 4 points on 3.8-3.14,
# and the walker that failed popped frames on 3.14 was 5-10 points low.
SHARE_TOLERANCE = 0.03
# Failed stacks (the stack changed on every one of its reads), as a share of
# the stacks of the workload's thread. Measured: under 0.2 % on 3.11+ for all
# three workloads; on 3.8-3.10 (stacks of heap frames, taken from one
# snapshot of the frame objects: framewalk_heap.c) 0-0.35 %, and none with
# one busy loop per core.
FAILED_MAX = 0.02
# What these tests judge is the walker against the interpreter's frames,
# which change with the version, not with how it is linked: one interpreter
# per version (Debian's static and shared 3.14.10 are one interpreter).
PER_VERSION = pytest.mark.parametrize("interp", one_per_version_params())


def calls(proftui, interp, tmp_path, mode, *args, opts=("-i", "500us")):
    r = profile_workload(proftui, interp, "calls.py", [SECONDS, mode, *args], opts, tmp_path,
                         timeout=60 + 2 * SECONDS)
    assert r.result.returncode == 0, r.describe()
    assert r.profile is not None and r.profile.stacks, r.describe()
    return r


def in_main(r):
    """Stacks of the workload's own thread below main(), markers left out."""
    return [s for s in r.profile.select(tid=r.info["pid"])
            if s.names()[:2] == ["<module>", "main"]]


def failed_share(r):
    """Failed stacks per round: the workload has one Python thread."""
    failed, rounds = r.profile.meta_count("failed"), r.profile.meta_count("samples")
    assert failed is not None and rounds, f"no failed or samples count\n{r.describe()}"
    return failed / rounds


def assert_few_failed(r, interp):
    share = failed_share(r)
    assert share <= FAILED_MAX, f"{100 * share:.2f} % of the stacks failed (at most " \
        f"{100 * FAILED_MAX:.1f} %)\n{r.describe()}"


@pytest.mark.timing
@PER_VERSION
def test_leaf_share_is_true(proftui, interp, tmp_path):
    """A loop calling a short function (a few microseconds per call): the
    sampled share of the function matches the process's own count. A walker
    that dropped or mistook frames popped or pushed while a sample was read
    shifts it by several points."""
    misses = []
    for attempt in range(2):
        # A second, independent run when the first misses: the shares of a
        # busy machine's run can drift together; a walker that mistakes
        # popped frames misses every time. The bound is the same for both.
        # (Both runs missed by 10-13 points on 3.10 and 3.12: 3.10's frames
        # in the last steps of a return, and 3.12's frame pointer read after
        # the frames; see README, "3.10, the last steps of a return".)
        run_dir = tmp_path / f"run{attempt}"
        run_dir.mkdir()
        r = calls(proftui, interp, run_dir, "leaf")
        leaf = caller = 0
        for s in in_main(r):
            names = s.names()
            if "leaf_loop" not in names:
                continue
            # Samples inside the counting handler belong to what it interrupted.
            top = names[-2] if names[-1].endswith("count") else names[-1]
            leaf += s.count * (top == "leaf")
            caller += s.count * (top == "leaf_loop")
        n, signals, truth = leaf + caller, r.info["signals"], r.info["leaf_share"]
        assert n >= 500 and signals >= 500, f"too few samples ({n}) or signals ({signals})\n" \
            + r.describe()
        share = leaf / n
        error = math.sqrt(truth * (1 - truth) * (1 / n + 1 / signals))
        allowed = SHARE_TOLERANCE + r.info["leaf_share_error"] + 2.5 * error
        if abs(share - truth) <= allowed:
            break
        misses.append(f"leaf() has {100 * share:.1f} % of {n} samples, but {100 * truth:.1f} % of "
                      f"{signals} in-process counts (allowed {100 * allowed:.1f} points)")
    assert len(misses) < 2, "\n".join(misses) + "\n" + r.describe()
    assert_few_failed(r, interp)


def without_gc(names):
    """The frames of a stack without its leaf-most [gc]: the collector's
    marker says the thread was collecting (an allocation in the leaf's
    line may start it), it is no frame of the stack."""
    return names[:-1] if names and names[-1] == GC else names


@PER_VERSION
def test_recursion_in_a_loop_is_never_garbage(proftui, interp, tmp_path):
    """rec(40) called in a loop: frames are pushed and popped all the time,
    and on <= 3.10 freed frames are reused at once, which made loops in the
    frame chain (recorded as a [truncated] stack of 2048 frames). Every
    sample must be a real stack: rec_loop, then 1 to 40 rec frames, and the
    bottom is reached. (The bottom runs a short loop: a bare `return 1`
    there lasts about 50 ns, and the deepest levels of such a recursion are
    still under-sampled on <= 3.10 and where 3.14+ crosses into a new
    data-stack chunk (README, "3.8-3.10, deep recursion"): 0-20 samples of
    8,000 at level 40 on 3.9, none in a busy CI run on 3.10 and 3.14.)"""
    depth = 40
    r = calls(proftui, interp, tmp_path, "rec", depth)
    stacks = in_main(r)
    assert sum(s.count for s in stacks) >= 500, r.describe()
    for s in stacks:
        names = s.names()
        assert TRUNCATED not in [f.raw for f in s.frames], f"truncated stack: {s}"
        if "rec_loop" not in names:
            continue
        below = without_gc(names[names.index("rec_loop") + 1:])
        assert all(n == "rec" for n in below) and len(below) <= depth, \
            f"not a stack of rec_loop and at most {depth} rec frames: {s}"
    assert_few_failed(r, interp)
    deepest = max(s.names().count("rec") for s in stacks)
    assert deepest == depth, f"no sample reached the bottom of the recursion ({deepest})"


# Deep levels of rec(40) against middle ones: every level from 11 to 39 runs
# the same code (a call down, a return up), so each has the same share of
# the time; DEEP_TOLERANCE is for what is not the count's noise (the
# levels next to the bottom, which runs a short loop, may differ a little).
# Measured in --cpu mode on a 2-core machine at load 17 (400-1,000 samples
# at levels 11-30): 3.11-3.15 1.00-1.17; 3.8-3.10 0.49-0.95, where the
# deepest levels are still under-sampled (README, "3.8-3.10, deep
# recursion"; the bottom level shows it most: 5-7 times a middle level's
# samples on 3.11+, 0.6-2 times on 3.8-3.10).
DEEP_TOLERANCE = 0.12
MID_LEVELS, DEEP_LEVELS = range(11, 31), range(33, 40)


@PER_VERSION
def test_deep_levels_are_sampled_evenly(proftui, interp, tmp_path):
    """rec(40) called in a loop: levels 33-39 get as many samples per level
    as levels 11-30, within the counts' noise. Sampled in --cpu mode: a
    wall-mode sample taken while the target waits for a CPU shows the stack
    it was preempted in, and on a busy machine such repeats came in clumps
    (one level 400 samples, its neighbour 8). The workload's pause between
    calls varies, so the recursion does not lock in phase with the rate."""
    r = calls(proftui, interp, tmp_path, "rec", 40, opts=("-i", "500us", "--cpu"))
    levels = {}
    for s in in_main(r):
        names = s.names()
        if "rec_loop" in names and names[-1] == "rec":
            n = names.count("rec")
            levels[n] = levels.get(n, 0) + s.count
    mid = sum(levels.get(n, 0) for n in MID_LEVELS)
    deep = sum(levels.get(n, 0) for n in DEEP_LEVELS)
    # In --cpu mode a busy machine leaves 1,000-2,000 of the 8,000 rounds;
    # the bound below widens with the counts' noise.
    assert mid >= 100, f"too few samples at levels 11-30 ({mid})\n{r.describe()}"
    ratio = (deep / len(DEEP_LEVELS)) / (mid / len(MID_LEVELS))
    noise = 3 * ratio * math.sqrt(1 / max(1, deep) + 1 / mid)
    per_level = " ".join(str(levels.get(n, 0)) for n in range(1, 41))
    msg = f"levels 33-39 have {ratio:.2f} of the samples per level of levels 11-30 " \
          f"(allowed 1 ± {DEEP_TOLERANCE + noise:.2f}); levels 1-40: {per_level}"
    if abs(ratio - 1) > DEEP_TOLERANCE + noise and interp.minor <= (3, 10):
        pytest.xfail("known: deep heap-frame stacks are under-sampled on <= 3.10: " + msg)
    assert abs(ratio - 1) <= DEEP_TOLERANCE + noise, msg + "\n" + r.describe()
    assert_few_failed(r, interp)


@PER_VERSION
def test_call_loop_fails_rarely(proftui, interp, tmp_path):
    """n = tiny(n) in a loop: a frame is pushed and popped every ~100 ns.
    3.14 clears a popped frame's code reference, so a sample that read the
    thread state before a return and the frame after it finds the frame
    popped; the walker takes the stack the frame memory shows instead of
    failing (it failed 11-56 % of such stacks)."""
    r = calls(proftui, interp, tmp_path, "tiny")
    stacks = [s for s in in_main(r) if "tiny_loop" in s.names()]
    assert sum(s.count for s in stacks) >= 500, r.describe()
    for s in stacks:
        below = without_gc(s.names()[s.names().index("tiny_loop") + 1:])
        assert below in ([], ["tiny"]), f"not tiny_loop or tiny_loop;tiny: {s}"
    tiny = sum(s.count for s in stacks if s.names()[-1] == "tiny")
    assert tiny > 0, "tiny() never seen on top"
    assert_few_failed(r, interp)
