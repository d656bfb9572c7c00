# SPDX-License-Identifier: MIT
"""Helpers for test_hostile.py (hostile and unlucky targets, signals and
output safety): interpreter selection, target start-up, ptrace and memory
watchdogs, scratch directories the nobody user can use, tiny file systems
and profile checks. Built on harness.py; fixtures stay in conftest.py."""

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence

import pytest

from harness import (MARKERS, REPO, SYSTEM_PYTHON, Interpreter, Profile, Result, format_problems,
                     proc_state, read_line, supported_interpreters)

HOSTILE = Path(__file__).resolve().parent / "workloads_hostile"
NOBODY = 65534


def exit_codes() -> Dict[str, int]:
    """{name: value} of enum exit_code in include/exitcode.h."""
    text = (REPO / "include" / "exitcode.h").read_text()
    codes = {k: int(v) for k, v in re.findall(r"\b(EXIT_[A-Z_]+)\s*=\s*(\d+)", text)}
    assert len(codes) >= 10, "could not read include/exitcode.h"
    return codes


def header_constant(header: str, name: str) -> int:
    """A '#define NAME <number>' from include/HEADER."""
    text = (REPO / "include" / header).read_text()
    m = re.search(rf"#define\s+{name}\s+(\d+)", text)
    assert m, f"{name} not found in include/{header}"
    return int(m.group(1))


EXIT = exit_codes()


# ---------------------------------------------------------------- interpreters

def system_interpreter() -> Interpreter:
    """The Python for tests where the version does not matter."""
    interps = supported_interpreters()
    if not interps:
        pytest.fail("no CPython >= 3.8 found on this machine", pytrace=False)
    return next((i for i in interps if i.path == SYSTEM_PYTHON), interps[0])


def other_interpreter(interp: Interpreter) -> Optional[Interpreter]:
    """A supported CPython of another minor version than interp, if any."""
    return next((i for i in supported_interpreters() if i.minor != interp.minor), None)


# ---------------------------------------------------------------- targets

def start_ready(spawn, args: Sequence, what: str, timeout: float = 30,
                **kw) -> subprocess.Popen:
    """Start a workload that prints "ready <pid> ..." and return it once it has."""
    proc = spawn(args, stdout=subprocess.PIPE, **kw)
    line = read_line(proc, timeout, what + " to print 'ready'")
    fields = line.split()
    assert fields[:2] == ["ready", str(proc.pid)], f"unexpected readiness line {line!r}"
    return proc


def tasks(pid: int) -> List[int]:
    try:
        return [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except (FileNotFoundError, ProcessLookupError):
        return []


def task_status(pid: int, tid: int) -> Dict[str, str]:
    try:
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            return dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    except (FileNotFoundError, ProcessLookupError):
        return {}


def traced_tasks(pid: int) -> List[str]:
    """Threads of pid that are being traced or sit in a tracing stop."""
    found = []
    for tid in tasks(pid):
        st = task_status(pid, tid)
        if st.get("TracerPid", "0") != "0" or st.get("State", "").startswith("t"):
            found.append(f"thread {tid}: State {st.get('State')}, TracerPid {st.get('TracerPid')}")
    return found


class TraceWatch:
    """Polls every thread of a target during a test: any ptrace attachment
    (TracerPid) or tracing stop (state t) is recorded."""

    def __init__(self, pid: int, interval: float = 0.005):
        self.pid, self.interval = pid, interval
        self.seen: List[str] = []
        self.polls = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.seen.extend(traced_tasks(self.pid))
            self.polls += 1
            self._stop.wait(self.interval)

    def __enter__(self):
        self.seen.extend(traced_tasks(self.pid))
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.seen.extend(traced_tasks(self.pid))

    def assert_never_traced(self):
        assert self.polls >= 1, "the watchdog did not get to look"
        assert not self.seen, "target was ptrace-attached or stopped:\n" + "\n".join(self.seen[:10])


def writable_memory_digest(pid: int) -> str:
    """SHA-256 over every readable, writable private mapping of pid (heap,
    stacks, data of the interpreter and its libraries), read through
    /proc/PID/mem. Only meaningful while pid is stopped."""
    h = hashlib.sha256()
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            perms = fields[1]
            name = fields[5] if len(fields) > 5 else ""
            if not perms.startswith("rw") or name in ("[vvar]", "[vsyscall]", "[vdso]"):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            h.update(f"{start:x}-{end:x}".encode())
            mem.seek(start)
            try:
                h.update(mem.read(end - start))
            except OSError:
                h.update(b"unreadable")
    return h.hexdigest()


def is_kernel_thread(pid: int) -> bool:
    """PF_KTHREAD in the flags field of /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    flags = int(stat[stat.rindex(")") + 2:].split()[6])
    return bool(flags & 0x00200000)


def assert_reaped_or_alive(proc: subprocess.Popen):
    """A target proftui did not start is either still running or exited
    normally; it is never left stopped or traced."""
    if proc.poll() is None:
        state = proc_state(proc.pid)
        assert state not in ("T", "t"), f"target left in state {state}"
        assert not traced_tasks(proc.pid), traced_tasks(proc.pid)


# ---------------------------------------------------------------- files

@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A world-writable directory outside pytest's private tmp tree, for
    processes that run as the nobody user."""
    path = Path(tempfile.mkdtemp(prefix="proftui-hostile-"))
    try:
        path.chmod(0o777)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def public_copy(binary: str, directory: Path) -> Path:
    """A copy of binary that any user may run (the work tree may sit in a
    directory only root can enter)."""
    copy = directory / Path(binary).name
    shutil.copy2(binary, copy)
    copy.chmod(0o755)
    return copy


@contextmanager
def tmpfs(size: str = "64k", readonly: bool = False) -> Iterator[Path]:
    """A fresh tmpfs of the given size; skips the test where mounting is not
    allowed (not root, or a container without CAP_SYS_ADMIN)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    path = Path(tempfile.mkdtemp(prefix="proftui-tmpfs-"))
    opts = f"size={size},mode=1777" + (",ro" if readonly else "")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "proftui-test", str(path)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        path.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)
        path.rmdir()


def fill(directory: Path) -> None:
    """Fill the file system of directory to the last byte."""
    for name, chunk in (("filler", 4096), ("filler-tail", 1)):
        fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            while os.write(fd, b"\0" * chunk):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)


def leftovers(directory: Path, name: str) -> List[str]:
    """Temporary files of an output called name left in directory."""
    return sorted(p.name for p in directory.iterdir()
                  if p.name != name and p.name.startswith(name))


def sanitizer_build(binary: str) -> bool:
    """True for a binary built with AddressSanitizer (valgrind cannot run it)."""
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


# ---------------------------------------------------------------- profiles

def assert_well_formed(text: str, allow_empty: bool = False):
    problems = format_problems(text)
    if allow_empty:
        problems = [p for p in problems if p != "no stack lines at all"]
    assert not problems, "malformed profile:\n" + "\n".join(problems[:10]) + "\n" + text[:2000]




def foreign_frames(profile: Profile, allowed: Iterable[str],
                   interps: Sequence[Interpreter]) -> List[str]:
    """Frames from no file in `allowed`, nor from the standard library or
    site-packages of `interps` ('<frozen ...>' modules included): what
    garbage would look like in a profile of a known workload."""
    prefixes = tuple(stdlib_dirs(interps))
    bad = []
    for s in profile.stacks:
        for f in s.frames:
            if f.raw in MARKERS:    # [truncated], [unreadable], [gc]: honest, not garbage
                continue
            # '<string>': code that site.py runs from .pth files at start-up.
            # '<shim>': 3.12's <interpreter trampoline>, the C-stack entry
            # frame, which the walker skips by its owner byte; a sample can
            # still catch it while _PyEval_EvalFrameDefault links it
            # (tstate->cframe is set before cframe.current_frame, ceval.c).
            # It is CPython's own frame, not garbage.
            if f.file is None or not (f.file in allowed or f.file.startswith("<frozen ")
                                      or f.file in ("<string>", "<shim>")
                                      or f.file.startswith(prefixes)):
                bad.append(f.raw)
    return bad


_LIBRARY_PROBE = ("import site, sysconfig; p = sysconfig.get_paths(); "
                  "print('\\n'.join([p['stdlib'], p['platstdlib'], p['purelib'], p['platlib']]"
                  " + site.getsitepackages()))")


def stdlib_dirs(interps: Sequence[Interpreter]) -> List[str]:
    """The standard library and site-packages directories of interps."""
    dirs = []
    for i in interps:
        out = subprocess.run([i.path, "-c", _LIBRARY_PROBE], capture_output=True, text=True,
                             timeout=60).stdout.split("\n")
        dirs += [d.rstrip("/") + "/" for d in out if d.strip()]
    return dirs




def describe(res: Result, out: Optional[Path] = None) -> str:
    text = res.describe()
    if out is not None and out.exists():
        text += "\n--- profile (first 3000 chars) ---\n" + out.read_text(errors="replace")[:3000]
    return text
