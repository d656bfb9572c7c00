# SPDX-License-Identifier: MIT
"""--native (issue 14) end to end, on every interpreter: the collapsed
output of a run holds each thread's mixed stacks (C frames "name (module)"
with Python frames "name (file:line)" where the evaluation loop ran them).

- zlib: in >= 90 % of the samples whose innermost Python frame is
  compress_loop, C frames of libz (deflate) stand below it; the target's
  TracerPid, read all through the run, stays 0 (perf events never trace).
- merge: Python called back from C (sorted() with a Python key function,
  functools.reduce() with a Python function): in >= 99 % of the mixed
  samples that reach the callback, C frames (and no Python frame) stand
  between the Python caller and the callback, and the callback's Python
  helper sits right above it (no C frame of the call machinery between).
- --native-ptrace on an attached process: the same libz frames, and the
  process is left running and untraced.
- the command's exit status (an exit, a signal) is proftui's, with either way.
- perf events not permitted (perf_event_open refused with EACCES by a
  seccomp filter put on proftui, as a kernel.perf_event_paranoid of 3
  would): one line naming the setting, CAP_PERFMON and --native-ptrace,
  exit 4.
- a build without libunwind (PROFTUI_NONATIVE: its proftui; skipped when
  not set): one line, exit 11, no output file.

Counts are shares within one run, never timings; the runs are at -r 100
(perf samples each thread at 1 kHz of its CPU time: a round finds a
sample as long as a busy machine gives the target a tenth of a CPU)."""

import ctypes
import json
import os
import re
import struct
import subprocess
import time
from pathlib import Path
from typing import Callable, List, Optional, Tuple

import pytest

from harness import (WORKLOADS, Interpreter, assert_error_line, kill_group, parse_collapsed,
                     proc_state, proc_status_field, profile_workload, run, wait_for)

PY_FRAME = re.compile(r"^(?P<name>\S.*) \((?P<file>.+):(?P<line>\d+|\?)\)$")
NATIVE_FRAME = re.compile(r"^(?P<name>\S.*) \((?P<module>[^()]*)\)$")
SECONDS = 4.0
RATE = ["-r", "100"]
TIMEOUT = 90.0


def frames(raw: Tuple[str, ...]) -> List[Tuple[str, str, str]]:
    """(kind, name, file or module) of each frame, root first: kind "py",
    "c", or "marker" ([gc], [truncated], [unreadable])."""
    out = []
    for f in raw[2:]:                   # after "P<pid> ..." and "T<tid> ..."
        m = PY_FRAME.match(f)
        if m:
            out.append(("py", m["name"], m["file"]))
            continue
        m = NATIVE_FRAME.match(f)
        out.append(("c", m["name"], m["module"]) if m else ("marker", f, ""))
    return out


def mixed(fr) -> bool:
    return any(kind == "c" for kind, _, _ in fr)


def perf_refused(res) -> bool:
    return res.returncode in (4, 11) and "--native" in res.stderr


def run_native(proftui, interp: Interpreter, workload: str, tmp_path: Path, opts=(),
               watch: Optional[Callable[[int], None]] = None):
    """proftui -o OUT OPTS -- PYTHON workloads/WORKLOAD INFO SECONDS, with
    watch(pid) called every 50 ms while the workload runs. (result, stacks)."""
    out, info = tmp_path / "out.txt", tmp_path / "info.json"
    args = [str(a) for a in (proftui, "-o", out, *RATE, *opts, "--", interp.path,
                             WORKLOADS / workload, info, SECONDS)]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True,
                            universal_newlines=True, errors="replace")
    try:
        deadline = time.monotonic() + TIMEOUT
        pid = None
        while proc.poll() is None and time.monotonic() < deadline:
            if pid is None and info.exists() and info.stat().st_size:
                pid = json.loads(info.read_text())["pid"]
            if pid is not None and watch:
                watch(pid)
            time.sleep(0.05)
        out_text, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out_text, err = proc.communicate()
        pytest.fail(f"timed out: {' '.join(args)}\n{err}", pytrace=False)
    res = subprocess.CompletedProcess(args, proc.returncode, out_text, err)
    if perf_refused(res):
        pytest.skip(f"no perf events for --native here: {err.strip()}")
    assert res.returncode == 0, f"{args}\nexit {res.returncode}\n{err}"
    assert "proftui: native:" in err, err
    _, stacks = parse_collapsed(out.read_text())
    return res, [(frames(raw), count) for raw, count in stacks]


def libz_below_compress_loop(stacks) -> Tuple[int, int]:
    """(samples whose innermost Python frame is compress_loop, those of
    them with a libz frame leafward of it)."""
    total = with_libz = 0
    for fr, count in stacks:
        py = [i for i, (kind, _, _) in enumerate(fr) if kind == "py"]
        if not py or fr[py[-1]][1] != "compress_loop":
            continue
        total += count
        below = fr[py[-1] + 1:]
        if any(kind == "c" and ("libz" in where or name.startswith("deflate"))
               for kind, name, where in below):
            with_libz += count
    return total, with_libz


def show(stacks, n=12) -> str:
    top = sorted(stacks, key=lambda s: -s[1])[:n]
    return "\n".join(f"{c:6d} " + ";".join(name for _, name, _ in fr) for fr, c in top)


def test_zlib_native_frames(proftui, interp, tmp_path):
    tracers = []
    res, stacks = run_native(proftui, interp, "native_zlib.py", tmp_path, ["--native"],
                             watch=lambda pid: tracers.append(proc_status_field(pid, "TracerPid")))
    total, with_libz = libz_below_compress_loop(stacks)
    assert total >= 100, f"only {total} samples in compress_loop\n{res.stderr}\n{show(stacks)}"
    assert with_libz >= 0.9 * total, \
        f"libz frames below compress_loop in {with_libz} of {total}\n{res.stderr}\n{show(stacks)}"
    seen = [t for t in tracers if t is not None]
    assert seen and all(t == "0" for t in seen), f"TracerPid during the run: {sorted(set(seen))}"


CUT = ("marker", "[native stack cut]")


def callback_ok(fr, caller: str, callback: str, helper: str) -> Optional[bool]:
    """None when the stack does not reach callback from caller, or says its
    native frames between them were not read (the copy of the stack ended:
    "[native stack cut]"); else whether only C frames stand between caller
    and callback, and helper (when there) right above callback."""
    names = [(kind, name) for kind, name, _ in fr]
    if ("py", callback) not in names or ("py", caller) not in names:
        return None
    at_caller = names.index(("py", caller))
    at_callback = names.index(("py", callback))
    between = names[at_caller + 1:at_callback]
    if CUT in names[at_caller + 1:]:    # the caller's C frames root-ward of the cut were not read
        return None
    if at_callback < at_caller or not between or any(kind != "c" for kind, _ in between):
        return False
    if ("py", helper) in names:
        return names.index(("py", helper)) == at_callback + 1
    return True


def test_merge_python_called_from_c(proftui, interp, tmp_path):
    # 250 rounds a second (the later -r wins): on 3.11/3.12 a pair whose
    # frames the C stack's copy does not confirm is refused (nmerge_check_links),
    # about half of them in code this busy calling back and forth
    res, stacks = run_native(proftui, interp, "native_calls.py", tmp_path, ["-r", "250", "--native"])
    checked = good = cut = 0
    bad = []
    for fr, count in stacks:
        if not mixed(fr):
            continue
        for caller, callback, helper in (("sort_work", "key_fn", "key_helper"),
                                         ("reduce_work", "reducer", "reduce_helper")):
            ok = callback_ok(fr, caller, callback, helper)
            if ok is None:
                names = [(k, n) for k, n, _ in fr]
                cut += count if CUT in names and ("py", callback) in names else 0
                continue
            checked += count
            good += count if ok else 0
            if not ok:
                bad.append((fr, count))
    assert checked >= 100, f"only {checked} mixed samples in a callback\n{res.stderr}\n{show(stacks)}"
    assert good >= 0.99 * checked, \
        f"{checked - good} of {checked} misplaced\n{res.stderr}\n{show(bad)}"
    # the stacks whose copy ended before the caller are few, not a way out
    assert cut <= 0.1 * (checked + cut), f"{cut} cut of {checked + cut}\n{res.stderr}"


def test_ptrace_attached(proftui, interp, spawn, tmp_path):
    info = tmp_path / "info.json"
    target = spawn([interp.path, WORKLOADS / "native_zlib.py", info, 60])
    pid = wait_for(lambda: info.exists() and info.stat().st_size and
                   json.loads(info.read_text())["pid"], 30, "the zlib workload's pid")
    assert pid == target.pid
    out = tmp_path / "out.txt"
    res = run([proftui, "--native-ptrace", "-p", pid, "-d", SECONDS, *RATE, "-o", out],
              timeout=TIMEOUT)
    assert res.returncode == 0, res.describe()
    assert re.search(r"proftui: native: .* [1-9]\d* ptrace stops", res.stderr), res.stderr
    _, raw = parse_collapsed(out.read_text())
    stacks = [(frames(r), c) for r, c in raw]
    total, with_libz = libz_below_compress_loop(stacks)
    assert total >= 100 and with_libz >= 0.9 * total, \
        f"libz frames below compress_loop in {with_libz} of {total}\n{res.stderr}\n{show(stacks)}"
    # Left running and untraced: a few looks, each must hold.
    for _ in range(5):
        state = proc_state(pid)
        assert state is not None and state not in "tT", f"target state {state!r} after proftui"
        assert proc_status_field(pid, "TracerPid") == "0"
        time.sleep(0.05)
    assert target.poll() is None


@pytest.mark.parametrize("how", ["exit 3", "signal 15"])
@pytest.mark.parametrize("native", ["--native", "--native-ptrace"])
def test_exit_status_kept(proftui, interp, tmp_path, native, how):
    """The command's own exit status, whichever way it ends: the capture
    never collects the end of the main thread (the sampler reaps it)."""
    kind, number = how.split()
    res = profile_workload(proftui, interp, "exit_with.py", [kind, int(number)],
                           opts=[native, *RATE], tmpdir=tmp_path, timeout=TIMEOUT)
    want = int(number) if kind == "exit" else 128 + int(number)
    assert res.result.returncode == want, res.describe()
    assert res.profile is not None and "proftui: native:" in res.result.stderr, res.describe()


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint32)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]


def refuse_perf_event_open():
    """In the child before exec: a seccomp filter under which
    perf_event_open(2) fails with EACCES (x86-64), everything else runs."""
    arch, nr, allow, eacces = 0xC000003E, 298, 0x7FFF0000, 0x00050000 | 13
    insns = [(0x20, 0, 0, 4), (0x15, 1, 0, arch), (0x06, 0, 0, allow),     # another arch: allow
             (0x20, 0, 0, 0), (0x15, 0, 1, nr), (0x06, 0, 0, eacces),       # perf_event_open
             (0x06, 0, 0, allow)]
    prog = (SockFilter * len(insns))(*[SockFilter(*i) for i in insns])
    fprog = SockFprog(len(insns), prog)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0 or \
            libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:      # NO_NEW_PRIVS, SECCOMP
        os._exit(99)


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="--native is x86-64 only")
def test_perf_not_permitted(proftui, tmp_path):
    level = Path("/proc/sys/kernel/perf_event_paranoid").read_text().strip()
    args = [proftui, "--native", "-d", "2", "-o", tmp_path / "out.txt", "--",
            "/usr/bin/python3", WORKLOADS / "native_zlib.py", tmp_path / "info.json", "5"]
    proc = subprocess.run([str(a) for a in args], stdin=subprocess.DEVNULL, capture_output=True,
                          universal_newlines=True, timeout=TIMEOUT, start_new_session=True,
                          preexec_fn=refuse_perf_event_open)
    assert proc.returncode != 99, "could not install the seccomp filter"
    res = type("R", (), {"returncode": proc.returncode, "stderr": proc.stderr,
                         "describe": lambda self: f"exit {proc.returncode}\n{proc.stderr}"})()
    line = assert_error_line(res, 4, r"perf events not permitted")
    assert f"kernel.perf_event_paranoid is {level}" in line, line
    assert "CAP_PERFMON" in line and "--native-ptrace" in line, line
    assert not (tmp_path / "out.txt").exists() or not (tmp_path / "out.txt").stat().st_size


@pytest.mark.skipif(not os.environ.get("PROFTUI_NONATIVE"),
                    reason="no build without libunwind: set PROFTUI_NONATIVE to the proftui of "
                           "`meson setup build-nonative -Dnative=disabled`")
@pytest.mark.parametrize("native", ["--native", "--native-ptrace"])
def test_built_without_libunwind(native, tmp_path):
    out = tmp_path / "out.txt"
    res = run([os.environ["PROFTUI_NONATIVE"], native, "-o", out, "--", "/usr/bin/python3", "-c",
               "pass"])
    assert_error_line(res, 11, r"^proftui: --native: this proftui was built without libunwind "
                               r"\(meson -Dnative=disabled\)$")
    assert not out.exists()


@pytest.mark.parametrize("opts", [["--open", "x.txt"], ["--diff", "x.txt"], ["--dump", "-p", "1"]])
@pytest.mark.parametrize("native", ["--native", "-n", "--native-ptrace"])
def test_native_needs_a_target(proftui, native, opts):
    res = run([proftui, native, *opts])
    assert_error_line(res, 2, r"--native .*not with --open, --diff or --dump")
