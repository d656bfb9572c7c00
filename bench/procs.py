# SPDX-License-Identifier: MIT
"""Process plumbing for the benchmark: benchmark targets that say when they
are ready, proftui runs with their CPU time and peak memory (from wait4),
and the collapsed-stack output parsed into metadata and stacks."""

import os
import re
import select
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
TARGETS = HERE / "targets"


class BenchError(RuntimeError):
    """A run that could not be measured (the message says why)."""


def _kill_group(p: subprocess.Popen) -> None:
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


class Target:
    """A benchmark target (bench/targets/NAME) run by `python`, in its own
    process group; usable as a context manager that kills it on exit."""

    def __init__(self, python: str, script: str, args: List[str], ready_line: bool = True,
                 stdin_pipe: bool = False, lifetime: float = 900.0):
        argv = [python, str(TARGETS / script)] + [str(a) for a in args]
        if ready_line:
            argv.append(str(lifetime))
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                                     start_new_session=True, universal_newlines=True)
        self.pid = self.proc.pid
        if ready_line:
            line = self.read_line(60.0)
            if line != "ready":
                self.close()
                raise BenchError(f"{script} {args} did not get ready (said {line!r})")

    def read_line(self, timeout: float) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if r:
                return self.proc.stdout.readline().strip()
            if self.proc.poll() is not None:
                break
        return ""

    def ask(self, command: str, timeout: float = 120.0) -> str:
        """Send one command line (work.py), return its one-line answer."""
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        answer = self.read_line(timeout)
        if not answer:
            raise BenchError(f"no answer to {command!r}")
        return answer

    def close(self) -> None:
        _kill_group(self.proc)
        for f in (self.proc.stdin, self.proc.stdout):
            if f:
                f.close()

    def __enter__(self) -> "Target":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class Profile:
    """What one proftui run produced."""
    meta: Dict[str, str]
    stacks: Dict[str, int] = field(default_factory=dict)   # "P;T;frames..." -> count
    cpu_s: float = 0.0          # user + system CPU of proftui (wait4)
    maxrss_kb: int = 0          # peak resident set (VmHWM), when run under bench/maxrss
    stderr: str = ""            # the end of what proftui wrote to stderr

    def num(self, key: str) -> float:
        """Leading number of a metadata value: '3.000s' -> 3.0, '15488 rounds' -> 15488."""
        value = self.meta.get(key, "").split()
        if not value:
            raise BenchError(f"profile has no '{key}' line")
        return float(value[0].rstrip("sun"))

    @property
    def duration(self) -> float:
        return self.num("duration")

    @property
    def rounds(self) -> float:
        return self.num("samples")

    def depth_histogram(self) -> Dict[int, int]:
        hist: Dict[int, int] = {}
        for stack, count in self.stacks.items():
            depth = stack.count(";") - 1        # minus the P and T fields
            hist[depth] = hist.get(depth, 0) + count
        return hist


def parse_collapsed(text: str) -> Profile:
    prof = Profile(meta={})
    for line in text.splitlines():
        if line.startswith("# ") and ":" in line:
            key, _, value = line[2:].partition(":")
            prof.meta[key.strip()] = value.strip()
        elif line and not line.startswith("#"):
            stack, _, count = line.rpartition(" ")
            prof.stacks[stack] = prof.stacks.get(stack, 0) + int(count)
    return prof


def _wait4(p: subprocess.Popen, timeout: float):
    """Reap p with wait4 (for its rusage); kill it past the timeout."""
    end = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            return usage
        if time.monotonic() > end:
            os.kill(p.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            raise BenchError(f"proftui did not finish within {timeout:.0f} s")
        time.sleep(0.01)


class Proftui:
    """One proftui run writing a collapsed profile to a temporary file."""

    def __init__(self, binary: str, args: List[str], wrapper: Optional[List[str]] = None):
        self.dir = tempfile.TemporaryDirectory(prefix="proftui-bench-")
        self.out = Path(self.dir.name) / "profile.txt"
        self.err = open(Path(self.dir.name) / "stderr.txt", "w+")
        self.argv = (wrapper or []) + [binary] + [str(a) for a in args] + ["-o", str(self.out)]
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.err)

    def wait_sampling(self, timeout: float = 20.0) -> None:
        """Until the sampling thread exists (the process has two tasks)."""
        end = time.monotonic() + timeout
        task_dir = f"/proc/{self.proc.pid}/task"
        while time.monotonic() < end:
            try:
                if len(os.listdir(task_dir)) >= 2:
                    return
            except FileNotFoundError:
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.005)
        raise BenchError("proftui did not start sampling: " + self._stderr())

    def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)

    def finish(self, timeout: float = 120.0) -> Profile:
        try:
            usage = _wait4(self.proc, timeout)
            if self.proc.returncode != 0:
                raise BenchError(f"{' '.join(self.argv)} exited with {self.proc.returncode}: "
                                 + self._stderr())
            prof = parse_collapsed(self.out.read_text())
            prof.cpu_s = usage.ru_utime + usage.ru_stime
            prof.stderr = self._stderr()
            # bench/maxrss prints proftui's own peak; without it, ru_maxrss
            # would also count what this Python process had before exec.
            found = re.search(r"^maxrss_kb (\d+)$", self._stderr(), re.M)
            prof.maxrss_kb = int(found.group(1)) if found else 0
            return prof
        finally:
            self.err.close()
            self.dir.cleanup()

    def _stderr(self) -> str:
        self.err.seek(0)
        return self.err.read().strip()[-500:]


def proftui_run(binary: str, args: List[str], timeout: float = 180.0,
                wrapper: Optional[List[str]] = None) -> Profile:
    """Run proftui to completion (args must include -d) and parse its
    profile; wrapper (e.g. [bench/maxrss]) is put in front of the command."""
    return Proftui(binary, args, wrapper).finish(timeout)


def proftui_attached(binary: str, pid: int, interval: str, extra: List[str] = ()) -> Proftui:
    """proftui attached to pid (with the extra arguments), already sampling;
    stop() then finish() it."""
    p = Proftui(binary, ["-p", pid, "-i", interval] + list(extra))
    try:
        p.wait_sampling()
    except BenchError:
        p.stop()
        p.proc.kill()
        raise
    return p


def python_version(python: str) -> Optional[tuple]:
    try:
        out = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:3])"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             universal_newlines=True, timeout=30, check=True).stdout
        return tuple(int(x) for x in out.split())
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
