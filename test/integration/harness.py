# SPDX-License-Identifier: MIT
"""Helpers for proftui's integration tests (fixtures are in conftest.py):
interpreter discovery, running proftui with a timeout, parsing the collapsed
output into metadata and stacks, per-function shares, polling with deadlines
and the workload runner."""

import dataclasses
import functools
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "test" / "pythons"))
import debian  # noqa: E402  (Debian's 3.14/3.15, fetched by test/pythons/fetch-debian.sh)

WORKLOADS = HERE / "workloads"
SYSTEM_PYTHON = "/usr/bin/python3"
SUPPORTED_MINORS = [(3, m) for m in range(8, 16)]
RUN_TIMEOUT = 60.0


# ---------------------------------------------------------------- interpreters

@dataclass(frozen=True)
class Interpreter:
    kind: str                      # "system", "pyenv" or "debian"
    path: str                      # the python3 executable
    version: str                   # platform.python_version(), e.g. "3.11.2"
    version_info: Tuple[int, int, int]
    implementation: str            # platform.python_implementation()
    name: str = ""                 # the id when not kind-version (debian-3.14-shared)

    @property
    def id(self) -> str:
        return self.name or f"{self.kind}-{self.version}"

    @property
    def minor(self) -> Tuple[int, int]:
        return self.version_info[:2]

    @property
    def has_qualname(self) -> bool:
        """co_qualname exists from 3.11 on (Objects/codeobject.c)."""
        return self.minor >= (3, 11)

    def qualname(self, qualified: str) -> str:
        """The name proftui must print for a function whose __qualname__ is
        `qualified`: co_qualname on 3.11+, else co_name."""
        return qualified if self.has_qualname else qualified.rsplit(".", 1)[-1]


# Works under Python 2.7 as well, so old interpreters can be identified.
_VERSION_PROBE = ("import platform, sys; "
                  "print(platform.python_implementation()); "
                  "print(platform.python_version()); "
                  "print('%d %d %d' % tuple(sys.version_info[:3]))")


def _probe(kind: str, path: str) -> Optional[Interpreter]:
    try:
        out = subprocess.run([path, "-c", _VERSION_PROBE], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                             timeout=60, check=True, universal_newlines=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.split("\n")
    if len(lines) < 3:
        return None
    vi = tuple(int(x) for x in lines[2].split())
    return Interpreter(kind, path, lines[1].strip(), vi, lines[0].strip())


def _find_pyenv() -> Optional[str]:
    found = shutil.which("pyenv")
    if found:
        return found
    for root in (os.environ.get("PYENV_ROOT"), os.path.expanduser("~/.pyenv")):
        if root and os.access(os.path.join(root, "bin", "pyenv"), os.X_OK):
            return os.path.join(root, "bin", "pyenv")
    return None


def _pyenv(pyenv: str, *args: str) -> str:
    return subprocess.run([pyenv, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          stdin=subprocess.DEVNULL, timeout=60, check=True,
                          universal_newlines=True).stdout


@functools.lru_cache(maxsize=None)
def all_interpreters() -> Tuple[Interpreter, ...]:
    """Every CPython on the machine (any version), system one first."""
    found: List[Interpreter] = []
    seen = set()
    candidates = []
    if os.access(SYSTEM_PYTHON, os.X_OK):
        candidates.append(("system", SYSTEM_PYTHON))
    pyenv = _find_pyenv()
    if pyenv:
        try:
            names = _pyenv(pyenv, "versions", "--bare").split()
        except (OSError, subprocess.SubprocessError):
            names = []
        for name in names:
            try:
                prefix = _pyenv(pyenv, "prefix", name).strip()
            except (OSError, subprocess.SubprocessError):
                continue
            exe = os.path.join(prefix, "bin", "python3")
            if not os.access(exe, os.X_OK):
                exe = os.path.join(prefix, "bin", "python")  # 2.7 has no python3
            if os.access(exe, os.X_OK):
                candidates.append(("pyenv", exe))
    for kind, exe in candidates:
        real = os.path.realpath(exe)
        if real in seen:
            continue
        seen.add(real)
        interp = _probe(kind, exe)
        if interp is not None and interp.implementation == "CPython":
            found.append(interp)
    found.extend(i for i, _ in _debian() if i is not None)
    return tuple(found)


@functools.lru_cache(maxsize=None)
def _debian() -> Tuple[Tuple[Optional[Interpreter], debian.DebianPython], ...]:
    """Debian's interpreters: (Interpreter or None when unusable, entry);
    an unusable entry's reason says why."""
    out = []
    for entry in debian.debian_pythons():
        interp = _probe("debian", entry.path) if entry.path else None
        if entry.path and (interp is None or interp.minor != entry.minor):
            entry = dataclasses.replace(entry, path=None,
                                        reason=f"{entry.path} does not run as CPython "
                                               f"{entry.minor[0]}.{entry.minor[1]}")
            interp = None
        out.append((interp and dataclasses.replace(interp, name=entry.id), entry))
    return tuple(out)


def missing_interpreters() -> List[debian.DebianPython]:
    """The expected interpreters that are not usable (Debian's, when the
    fetch failed or was not run), each with the reason."""
    return [e for i, e in _debian() if i is None]


def missing_reason(minor: Tuple[int, int]) -> str:
    """Why the expected interpreters of `minor` are missing ("ID, ID: reason;
    ..."), or ""."""
    ids: Dict[str, List[str]] = {}
    for e in missing_interpreters():
        if e.minor == minor:
            ids.setdefault(e.reason, []).append(e.id)
    return "; ".join(f"{', '.join(which)}: {why}" for why, which in ids.items())


def supported_interpreters() -> List[Interpreter]:
    return [i for i in all_interpreters() if i.minor >= (3, 8)]


def _wanted() -> Optional[set]:
    wanted = os.environ.get("PROFTUI_PYTHONS", "").strip()
    return {w.strip() for w in wanted.split(",") if w.strip()} if wanted else None


def _picked(names: set, ident: str, kind: str, minor: Tuple[int, int], version: str) -> bool:
    return bool({ident, kind, f"{minor[0]}.{minor[1]}", version} & names)


def selected_interpreters() -> List[Interpreter]:
    """Every supported CPython, or those PROFTUI_PYTHONS names: a
    comma-separated list of ids, kinds (system, pyenv, debian), minors or
    versions (e.g. "system,3.8.18,debian-3.14-shared,3.13")."""
    interps = supported_interpreters()
    names = _wanted()
    if names is None:
        return interps
    return [i for i in interps if _picked(names, i.id, i.kind, i.minor, i.version)]


def interpreter_params() -> list:
    """pytest params for the selected interpreters, then one skipped param
    (with the reason) per selected expected interpreter that is missing."""
    params = [pytest.param(i, id=i.id) for i in selected_interpreters()]
    names = _wanted()
    for e in missing_interpreters():
        if names is None or _picked(names, e.id, "debian", e.minor, ""):
            params.append(pytest.param(None, id=e.id,
                                       marks=pytest.mark.skip(reason=f"{e.id}: {e.reason}")))
    return params


def representative_interpreters() -> List[Interpreter]:
    """Two of the selected interpreters, for what proftui does the same way
    whatever the interpreter (e.g. a signal to proftui, the kernel's
    on-CPU state): the system python3 and the newest one (fewer when fewer
    are selected)."""
    selected = selected_interpreters()
    picked = [i for i in selected if i.kind == "system"][:1]
    newest = max(selected, key=lambda i: i.version_info, default=None)
    if newest is not None and newest not in picked:
        picked.append(newest)
    return picked


def interpreter_variant_params(everywhere: Sequence, representative: Sequence,
                               base: Optional[list] = None) -> list:
    """pytest params (interp, *variant values) for a test whose variants
    (pytest.param(..., id=...)) differ in how much they depend on the
    interpreter: those in `everywhere` run under every selected interpreter
    (missing ones skipped as in interpreter_params()), or every one of
    `base` (e.g. one_per_version_params()), those in `representative` under
    representative_interpreters() only. Ids are INTERP-VARIANT, as when
    both are parametrized separately."""
    base = interpreter_params() if base is None else base
    ids = {p.id for p in base}
    reps = set()
    for i in representative_interpreters():
        # the newest may be a build of a version `base` has under another id
        same = [p.id for p in base if p.values[0] is not None and p.values[0].version == i.version]
        reps.add(i.id if i.id in ids or not same else same[0])
    params = []
    for ip in base:
        for v in everywhere:
            params.append(pytest.param(*ip.values, *v.values, id=f"{ip.id}-{v.id}",
                                       marks=ip.marks))
        if ip.id in reps:
            for v in representative:
                params.append(pytest.param(*ip.values, *v.values, id=f"{ip.id}-{v.id}"))
    return params or [pytest.param(None, *(everywhere or representative)[0].values, id="none",
                                   marks=pytest.mark.skip(reason="PROFTUI_PYTHONS selects no "
                                                               "interpreter on this machine"))]


def one_per_version_params() -> list:
    """interpreter_params() with one interpreter per CPython version (the
    first found), for what depends on the interpreter's code and data but
    not on how it is linked: Debian's 3.14.10 as python3.14 (libpython
    linked in) and as python3.14-shared (libpython3.14.so) run the same
    interpreter; where its runtime is found differs, which the attach and
    launch tests check under both. Missing interpreters stay skipped."""
    seen = set()
    params = []
    for p in interpreter_params():
        interp = p.values[0]
        if interp is not None:
            if interp.version in seen:
                continue
            seen.add(interp.version)
        params.append(p)
    return params


def parametrized_here(metafunc, name: str) -> bool:
    """The test parametrizes `name` itself (e.g. with
    interpreter_variant_params())."""
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0]
        if isinstance(names, str):
            names = names.split(",")
        if name in [n.strip() for n in names]:
            return True
    return False


def unsupported_interpreters() -> List[Interpreter]:
    return [i for i in all_interpreters() if i.minor < (3, 8)]


def pyenv_python(interp: Interpreter) -> Optional[Tuple[str, Dict[str, str]]]:
    """(shim, env) that starts `interp` through pyenv's shim (a bash wrapper
    that execs the real binary), or None for the system python/no pyenv."""
    pyenv = _find_pyenv()
    if interp.kind != "pyenv" or not pyenv:
        return None
    root = os.environ.get("PYENV_ROOT") or str(Path(os.path.realpath(pyenv)).parents[1])
    shim = os.path.join(root, "shims", "python3")
    if not os.access(shim, os.X_OK):
        return None
    name = Path(interp.path).parents[1].name  # <root>/versions/<name>/bin/python3
    env = dict(os.environ, PYENV_VERSION=name)
    return shim, env


# ---------------------------------------------------------------- the binary

def meson_version() -> str:
    """proftui's version as the top-level meson.build declares it."""
    text = (REPO / "meson.build").read_text()
    return re.search(r"\bversion\s*:\s*'([^']+)'", text).group(1)


def proftui_path() -> str:
    return os.environ.get("PROFTUI") or str(REPO / "build" / "proftui")


@dataclass
class Result:
    args: List[str]
    returncode: int
    stdout: str
    stderr: str
    elapsed: float

    def describe(self) -> str:
        return (f"command: {' '.join(self.args)}\nexit status: {self.returncode} "
                f"after {self.elapsed:.2f}s\n--- stderr ---\n{self.stderr}"
                f"--- stdout (first 2000 chars) ---\n{self.stdout[:2000]}")


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run(args: Sequence[str], timeout: float = RUN_TIMEOUT, env=None) -> Result:
    """Run a command (usually proftui) in its own session with stdin from
    /dev/null, capture its output, and kill its whole process group if it
    outlives `timeout` (then the test fails)."""
    args = [str(a) for a in args]
    start = time.monotonic()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, env=env,
                            universal_newlines=True, errors="replace")
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
        pytest.fail(f"timed out after {timeout}s: {' '.join(args)}\n--- stderr ---\n{err}",
                    pytrace=False)
    return Result(args, proc.returncode, out, err, time.monotonic() - start)


def assert_error_line(res: Result, status: int, pattern: Optional[str] = None) -> str:
    """proftui exited with `status` and printed exactly one line on stderr,
    starting with 'proftui: ' (and matching `pattern`, case-insensitive)."""
    assert res.returncode == status, f"expected exit status {status}\n{res.describe()}"
    lines = res.stderr.splitlines()
    assert len(lines) == 1, f"expected exactly one line on stderr\n{res.describe()}"
    assert lines[0].startswith("proftui: "), f"error must start with 'proftui: '\n{res.describe()}"
    assert len(lines[0]) > len("proftui: ") + 5, f"error message is empty\n{res.describe()}"
    if pattern:
        assert re.search(pattern, lines[0], re.I), \
            f"error message should match /{pattern}/\n{res.describe()}"
    return lines[0]


# ---------------------------------------------------------------- polling

def wait_for(cond: Callable[[], object], timeout: float, what: str, interval: float = 0.02):
    """Poll cond() until it returns something truthy; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}", pytrace=False)
        time.sleep(interval)


def read_line(proc: subprocess.Popen, timeout: float, what: str) -> str:
    """Read one line from proc.stdout (a binary pipe) within `timeout`."""
    deadline = time.monotonic() + timeout
    buf = b""
    fd = proc.stdout.fileno()
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            pytest.fail(f"timed out after {timeout}s waiting for {what}", pytrace=False)
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                pytest.fail(f"{what}: the process closed its output (exit status "
                            f"{proc.poll()})", pytrace=False)
            buf += chunk
    return buf.split(b"\n", 1)[0].decode()


def proc_state(pid: int) -> Optional[str]:
    """The one-letter state of a process (R, S, T, Z...), None when gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat[stat.rindex(")") + 2]


def proc_status_field(pid: int, name: str) -> Optional[str]:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key == name:
                    return value.strip()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def free_pid() -> int:
    """A PID no process has right now."""
    with open("/proc/sys/kernel/pid_max") as f:
        pid_max = int(f.read())
    for pid in range(pid_max - 1, 1, -1):
        if not os.path.exists(f"/proc/{pid}"):
            return pid
    raise RuntimeError("no free pid")


@dataclass
class AttachTarget:
    proc: subprocess.Popen
    pid: int
    counter_file: Path

    def counter(self) -> int:
        try:
            return int(self.counter_file.read_text() or -1)
        except (FileNotFoundError, ValueError):
            return -1

    def assert_running_and_progressing(self, timeout: float = 10.0) -> None:
        """Alive, not stopped or traced, and its counter still advances."""
        assert self.proc.poll() is None, f"target exited with status {self.proc.returncode}"
        state = proc_state(self.pid)
        assert state not in (None, "T", "t", "Z", "X"), f"target is in state {state}"
        assert proc_status_field(self.pid, "TracerPid") == "0", "target is still traced"
        start = self.counter()
        wait_for(lambda: self.counter() >= start + 3, timeout,
                 f"the target's counter to advance past {start} (it is stuck)")
        assert self.proc.poll() is None


# ---------------------------------------------------------------- collapsed format

STACK_LINE_RE = re.compile(r"^P\d+(?: [^;]+)?;T\d+ .+ \d+$")   # "P<pid> <command>;T<tid> ..."
PROCESS_RE = re.compile(r"^P(?P<pid>\d+)(?: (?P<name>[^;]+))?$")
META_RE = re.compile(r"^# (?P<key>[^:]+): (?P<value>.*)$")
FRAME_RE = re.compile(r"^(?P<name>\S.*) \((?P<file>.+):(?P<line>\d+|\?)\)$")
THREAD_RE = re.compile(r"^T(?P<tid>\d+)(?: (?P<name>.+))?$")
TRUNCATED = "[truncated]"
OUTSIDE = "[outside your code]"  # the lens (--only): a stack with none of the user's code
NO_FRAME = "[no Python frame]"   # a sample of a thread without Python frames
UNREADABLE = "[unreadable]"      # a sample whose stack could not be read (its only frame)
GC = "[gc]"                      # innermost on a thread running the garbage collector
MARKERS = (TRUNCATED, UNREADABLE, GC)
REASONS = ("torn", "cycle", "corrupt", "read")
FAILED_RE = re.compile(r"^(?P<n>\d+) stacks \(torn (?P<torn>\d+), cycle (?P<cycle>\d+), "
                       r"corrupt (?P<corrupt>\d+), read (?P<read>\d+)\)$")
# '# thread: <tid> (pid <pid>) "<name>" S samples, F failed (torn A, ...)'
# ("(pid <pid>)" since processes are followed): the name is whatever lies
# between the first '"' and the fixed-shape tail.
THREAD_META_RE = re.compile(r'^(?P<tid>\d+)(?: \(pid (?P<pid>\d+)\))? "(?P<name>.*)" '
                            r"(?P<samples>\d+) samples, "
                            r"(?P<failed>\d+) failed \(torn (?P<torn>\d+), cycle (?P<cycle>\d+), "
                            r"corrupt (?P<corrupt>\d+), read (?P<read>\d+)\)$")


@dataclass
class ThreadMeta:
    """One '# thread:' line."""
    tid: int
    name: str
    samples: int
    failed: int
    reasons: Dict[str, int]


@dataclass(frozen=True)
class Frame:
    raw: str
    name: str
    file: Optional[str]
    line: Optional[int]

    @classmethod
    def parse(cls, raw: str) -> "Frame":
        m = FRAME_RE.match(raw)
        if not m:
            return cls(raw, raw, None, None)
        line = None if m["line"] == "?" else int(m["line"])
        return cls(raw, m["name"], m["file"], line)

    def __str__(self):
        return self.raw


@dataclass
class Stack:
    pid: int
    tid: int
    thread: str
    frames: Tuple[Frame, ...]   # Python frames, root first
    count: int

    @property
    def leaf(self) -> Optional[Frame]:
        return self.frames[-1] if self.frames else None

    def names(self) -> List[str]:
        return [f.name for f in self.frames]

    def __str__(self):
        return ";".join([f"P{self.pid}", f"T{self.tid} {self.thread}"]
                        + [f.raw for f in self.frames]) + f" {self.count}"


def parse_collapsed(text: str) -> Tuple[Dict[str, str], List[Tuple[Tuple[str, ...], int]]]:
    """(metadata, [(frames, count)]): metadata from leading '# key: value'
    lines (keys lower-cased), frames as the raw ';'-separated strings."""
    meta: Dict[str, str] = {}
    stacks = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            m = META_RE.match(line)
            if m:
                meta[m["key"].strip().lower()] = m["value"].strip()
            continue
        stack, _, count = line.rpartition(" ")
        stacks.append((tuple(stack.split(";")), int(count)))
    return meta, stacks


def format_problems(text: str) -> List[str]:
    """Every way `text` deviates from the collapsed-stack format of issue 2."""
    problems = []
    seen_stack = False
    seen = set()
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            if seen_stack:
                problems.append(f"line {n}: comment after the first stack: {line!r}")
            if not META_RE.match(line):
                problems.append(f"line {n}: comment is not '# key: value': {line!r}")
            continue
        if not line:
            problems.append(f"line {n}: empty line")
            continue
        seen_stack = True
        if not STACK_LINE_RE.match(line):
            problems.append(f"line {n}: not 'P<pid> <command>;T<tid> <name>;... <count>': {line!r}")
            continue
        stack, _, count = line.rpartition(" ")
        if int(count) <= 0:
            problems.append(f"line {n}: count must be positive: {line!r}")
        if stack in seen:
            problems.append(f"line {n}: stack appears twice (not aggregated): {stack!r}")
        seen.add(stack)
        frames = stack.split(";")
        if not THREAD_RE.match(frames[1]):
            problems.append(f"line {n}: thread frame {frames[1]!r} is not 'T<tid> <name>'")
        if frames[2:] in ([NO_FRAME], [UNREADABLE]):
            continue
        for frame in frames[2:]:
            if frame == GC and frame == frames[-1]:
                continue
            if frame not in (TRUNCATED, OUTSIDE) and not FRAME_RE.match(frame):
                problems.append(f"line {n}: frame {frame!r} is not 'name (file:line)'"
                                + (" ([unreadable] must be the only frame)"
                                   if frame == UNREADABLE else ""))
    if not seen_stack:
        problems.append("no stack lines at all")
    return problems


class Profile:
    """A parsed collapsed-stack file."""

    def __init__(self, text: str):
        self.text = text
        self.meta, raw = parse_collapsed(text)
        self.thread_lines = [line[len("# thread: "):] for line in text.splitlines()
                             if line.startswith("# thread: ")]
        self.stacks: List[Stack] = []
        for frames, count in raw:
            pm = PROCESS_RE.match(frames[0])
            pid = int(pm["pid"]) if pm else -1
            m = THREAD_RE.match(frames[1]) if len(frames) > 1 else None
            tid, thread = (int(m["tid"]), m["name"] or "") if m else (-1, "?")
            self.stacks.append(Stack(pid, tid, thread,
                                     tuple(Frame.parse(f) for f in frames[2:]), count))

    @classmethod
    def load(cls, path) -> "Profile":
        return cls(Path(path).read_text(errors="replace"))

    def threads(self) -> Dict[int, str]:
        return {s.tid: s.thread for s in self.stacks}

    def select(self, tid: Optional[int] = None, thread: Optional[str] = None,
               containing: Optional[str] = None, leaf: Optional[str] = None) -> List[Stack]:
        return [s for s in self.stacks
                if (tid is None or s.tid == tid)
                and (thread is None or s.thread == thread)
                and (containing is None or containing in s.names())
                and (leaf is None or (s.leaf is not None and s.leaf.name == leaf))]

    def summary(self, limit: int = 15) -> str:
        top = sorted(self.stacks, key=lambda s: -s.count)[:limit]
        meta = "\n".join(f"# {k}: {v}" for k, v in self.meta.items())
        return f"{meta}\n" + "\n".join(str(s) for s in top)

    # metadata, tolerant of the exact key spelling
    def meta_value(self, *words: str) -> Optional[str]:
        for key, value in self.meta.items():
            if all(w in key for w in words):
                return value
        return None

    def meta_count(self, word: str) -> Optional[int]:
        """A counter such as 'taken', 'missed', 'failed': from a key naming
        it, or from a value such as '1000 taken, 3 missed, 0 failed'."""
        for key, value in self.meta.items():
            if word in key:
                m = re.search(r"\d+", value)
                if m:
                    return int(m.group())
        for value in self.meta.values():
            m = (re.search(rf"(\d+)\s+{word}\b", value)
                 or re.search(rf"\b{word}\b\D{{0,3}}(\d+)", value))
            if m:
                return int(m.group(1))
        return None


    def thread_meta(self) -> Dict[int, ThreadMeta]:
        """The '# thread:' lines by thread id (lines that do not parse are
        left out; accounting_problems() reports them)."""
        out = {}
        for line in self.thread_lines:
            m = THREAD_META_RE.match(line)
            if m:
                out[int(m["tid"])] = ThreadMeta(int(m["tid"]), m["name"], int(m["samples"]),
                                                int(m["failed"]), {r: int(m[r]) for r in REASONS})
        return out

    def accounting_problems(self) -> List[str]:
        """Every way the loss accounting disagrees with itself: '# failed:'
        and '# lost:' in their documented shape, one '# thread:' line per
        thread with samples whose samples, name and failures match its
        stack lines ([unreadable] samples), and totals that add up."""
        problems = []
        failed = FAILED_RE.match(self.meta.get("failed", ""))
        if not failed:
            problems.append(f"'# failed:' is not 'N stacks (torn A, cycle B, corrupt C, read D)': "
                            f"{self.meta.get('failed')!r}")
        elif int(failed["n"]) != sum(int(failed[r]) for r in REASONS):
            problems.append(f"'# failed:' reasons do not add up: {self.meta['failed']!r}")
        if not re.match(r"^\d+ rounds$", self.meta.get("lost", "")):
            problems.append(f"'# lost:' is not 'N rounds': {self.meta.get('lost')!r}")
        threads = self.thread_meta()
        problems += [f"bad '# thread:' line: {line!r}" for line in self.thread_lines
                     if not THREAD_META_RE.match(line)]
        if len(threads) != len(self.thread_lines):
            problems.append("a thread has two '# thread:' lines")
        by_tid: Dict[int, List[Stack]] = {}
        for st in self.stacks:
            by_tid.setdefault(st.tid, []).append(st)
        if set(threads) != set(by_tid):
            problems.append(f"'# thread:' lines for {sorted(threads)}, stacks of {sorted(by_tid)}")
        for tid, t in threads.items():
            stacks = by_tid.get(tid, [])
            unreadable = samples([s for s in stacks if [f.raw for f in s.frames] == [UNREADABLE]])
            if t.samples != samples(stacks) or t.failed != unreadable \
                    or t.failed != sum(t.reasons.values()):
                problems.append(f"thread {tid}: {t} but {samples(stacks)} samples in its stacks, "
                                f"{unreadable} of them [unreadable]")
            if stacks and {s.thread for s in stacks} != {t.name}:
                problems.append(f"thread {tid} is {t.name!r} in '# thread:' but "
                                f"{sorted({s.thread for s in stacks})} in its stacks")
        if failed and sum(t.failed for t in threads.values()) != int(failed["n"]):
            problems.append(f"'# failed: {failed['n']}' is not the sum of the threads' failures")
        recorded = self.meta_count("recorded")
        if recorded != samples(self.stacks) or recorded != sum(t.samples for t in threads.values()):
            problems.append(f"'# recorded: {recorded}' is not the sum of the counts")
        return problems

    def seconds(self, key: str) -> Optional[float]:
        """A duration-valued metadata entry ('1ms', '1.52 s', '1000us', or a
        bare number of seconds) in seconds."""
        value = self.meta_value(key)
        if value is None:
            return None
        got = parse_duration(value)
        if got is None and re.match(r"^\d+(\.\d+)?$", value):
            got = float(value)
        return got

    def schedule_problem(self) -> Optional[str]:
        """Why the counters break the sampling schedule's bookkeeping (every
        deadline in the duration is either taken or counted as missed), or
        None when they add up."""
        taken = self.meta_count("taken")
        if taken is None:
            taken = self.meta_count("sample")
        missed = self.meta_count("missed")
        duration, interval = self.seconds("duration"), self.seconds("interval")
        if None in (taken, missed, duration, interval) or interval <= 0:
            return f"missing counters: taken {taken}, missed {missed}, duration {duration}, " \
                   f"interval {interval}"
        due = duration / interval
        if abs(taken + missed - due) > 0.05 * due + 5:
            return f"{taken} taken + {missed} missed rounds, but {duration:.3f} s at " \
                   f"{interval * 1e3:g} ms has {due:.0f} deadlines"
        return None


def samples(stacks: Sequence[Stack]) -> int:
    return sum(s.count for s in stacks)


@dataclass
class Share:
    own: float     # fraction of samples in which the function was the leaf
    total: float   # fraction of samples in which it was anywhere on the stack


def shares(stacks: Sequence[Stack]) -> Dict[str, Share]:
    """Per-function own/total shares of the samples in `stacks`."""
    n = samples(stacks)
    own: Dict[str, int] = {}
    total: Dict[str, int] = {}
    for s in stacks:
        if s.leaf is not None:
            own[s.leaf.name] = own.get(s.leaf.name, 0) + s.count
        for name in set(s.names()):
            total[name] = total.get(name, 0) + s.count
    return {name: Share(own.get(name, 0) / n, total[name] / n) for name in total} if n else {}


def line_histogram(stacks: Sequence[Stack], func: str, depth_from_leaf: int = 0) -> Dict[int, int]:
    """{line: samples} for the frame `depth_from_leaf` above the leaf, in
    stacks where that frame is `func`."""
    hist: Dict[int, int] = {}
    for s in stacks:
        if len(s.frames) > depth_from_leaf:
            f = s.frames[-1 - depth_from_leaf]
            if f.name == func:
                hist[f.line] = hist.get(f.line, 0) + s.count
    return hist


def parse_duration(text: str) -> Optional[float]:
    """'1ms', '1000 us', '0.001 s', '1000000ns' -> seconds."""
    m = re.match(r"^\s*([0-9]*\.?[0-9]+)\s*(ns|us|µs|ms|s)\b", text)
    if not m:
        return None
    scale = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}[m.group(2)]
    return float(m.group(1)) * scale


# ---------------------------------------------------------------- workloads

def marker_line(script: Path, marker: str) -> int:
    """The number of the one line of `script` that ends with '# MARKER'."""
    hits = [n for n, line in enumerate(script.read_text().splitlines(), 1)
            if re.search(rf"#\s*{re.escape(marker)}\s*$", line)]
    assert len(hits) == 1, f"marker {marker} found {len(hits)} times in {script}"
    return hits[0]


def enclosing_function_lines(script: Path, line: int) -> range:
    """Lines of the innermost function (def .. last indented line) that
    contains `line`."""
    lines = script.read_text().splitlines()

    def indent(text):
        return len(text) - len(text.lstrip())

    start = next(n for n in range(line, 0, -1)
                 if lines[n - 1].lstrip().startswith("def ")
                 and indent(lines[n - 1]) < indent(lines[line - 1]))
    end = start
    for n in range(start + 1, len(lines) + 1):
        text = lines[n - 1]
        if text.strip() and indent(text) <= indent(lines[start - 1]):
            break
        end = n
    return range(start, end + 1)


@dataclass
class WorkloadRun:
    script: Path
    result: Result
    profile: Optional[Profile]
    info: dict = field(default_factory=dict)

    def describe(self) -> str:
        text = self.result.describe()
        if self.profile is not None:
            text += "\n--- profile (top stacks) ---\n" + self.profile.summary()
        return text


def profile_workload(proftui: str, interp: Interpreter, workload: str, args: Sequence = (),
                     opts: Sequence[str] = (), tmpdir: Path = None, python: Sequence[str] = None,
                     env=None, timeout: float = RUN_TIMEOUT) -> WorkloadRun:
    """Run `proftui -o OUT OPTS -- PYTHON workloads/WORKLOAD INFO ARGS...`.
    The workload writes facts about itself (pid, thread ids, timings) as
    JSON to INFO; `profile` is None when proftui wrote no output file."""
    script = WORKLOADS / workload
    tmpdir.mkdir(parents=True, exist_ok=True)
    out = tmpdir / "profile.txt"
    info = tmpdir / "info.json"
    cmd = list(python) if python else [interp.path]
    res = run([proftui, "-o", out, *opts, "--", *cmd, script, info, *args],
              timeout=timeout, env=env)
    profile = Profile.load(out) if out.exists() else None
    facts = json.loads(info.read_text()) if info.exists() and info.stat().st_size else {}
    return WorkloadRun(script, res, profile, facts)


@functools.lru_cache(maxsize=None)
def cpu_wide_perf_allowed() -> Optional[bool]:
    """Whether this process may open a CPU-wide perf event (what proftui's
    context-switch records need: root or CAP_PERFMON, or
    perf_event_paranoid <= 0, on every CPU the machine is configured
    with), asked of the kernel itself with a dummy software event on each;
    None where that cannot be asked (not x86-64)."""
    if os.uname().machine != "x86_64":
        return None
    import ctypes
    attr = (ctypes.c_uint8 * 128)()
    fields = ((0, 4, 1), (4, 4, 128), (8, 8, 9))   # type SOFTWARE, size, config DUMMY
    for offset, width, value in fields:
        ctypes.memmove(ctypes.addressof(attr) + offset, value.to_bytes(width, "little"), width)
    libc = ctypes.CDLL(None, use_errno=True)
    for cpu in range(os.sysconf("SC_NPROCESSORS_CONF")):
        fd = libc.syscall(298, ctypes.byref(attr), -1, cpu, -1, 8)   # perf_event_open, CLOEXEC
        if fd < 0:
            return False
        os.close(fd)
    return True


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port: int, path: str = "/", timeout: float = 10) -> Optional[bytes]:
    """GET http://127.0.0.1:PORT/PATH: the body, or None when it failed."""
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout).read()
    except OSError:
        return None
