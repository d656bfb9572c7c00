# SPDX-License-Identifier: MIT
"""pytest wiring for proftui's integration tests: interpreter
parametrization and fixtures. The helpers themselves live in harness.py.

- `interp`: every CPython >= 3.8 on the machine (/usr/bin/python3 and each
  `pyenv versions --bare` entry), with ids such as system-3.11.2, pyenv-3.8.18,
  and Debian's 3.14/3.15 from the build tree (test/pythons/fetch-debian.sh),
  debian-3.14-static, debian-3.14-shared, ...: one of those that could not be
  fetched is a skipped test with the reason. PROFTUI_PYTHONS=system (or a
  comma-separated list of ids, kinds, minors or versions) narrows it, as the
  sanitizer pass of ./dev test does. A test that parametrizes `interp`
  itself (harness.interpreter_variant_params()) is left alone.
- `minor`: one test per supported minor 3.8..3.15, so a minor absent from the
  machine shows as a skipped test with its reason.
- `old_interp`: every CPython older than 3.8 (for the unsupported-version test).
- `proftui`: $PROFTUI, else <repo>/build/proftui; a missing binary fails every
  test that needs it (never a skip).
"""

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, List, Sequence

import pytest

from harness import (SUPPORTED_MINORS, WORKLOADS, AttachTarget, Interpreter, WorkloadRun,
                     all_interpreters, interpreter_params, kill_group, missing_interpreters,
                     parametrized_here, profile_workload, proftui_path, read_line,
                     unsupported_interpreters, wait_for)


def pytest_generate_tests(metafunc):
    if "interp" in metafunc.fixturenames and not parametrized_here(metafunc, "interp"):
        metafunc.parametrize("interp", interpreter_params())
    if "minor" in metafunc.fixturenames:
        metafunc.parametrize("minor", SUPPORTED_MINORS,
                             ids=[f"{a}.{b}" for a, b in SUPPORTED_MINORS])
    if "old_interp" in metafunc.fixturenames:
        olds = unsupported_interpreters()
        if olds:
            metafunc.parametrize("old_interp", olds, ids=[i.id for i in olds])
        else:
            metafunc.parametrize("old_interp", [pytest.param(
                None, marks=pytest.mark.skip(
                    reason="no CPython older than 3.8 on this machine"))], ids=["none"])


def pytest_report_header(config):
    lines = ["proftui: " + proftui_path()]
    for i in all_interpreters():
        lines.append(f"interpreter {i.id}: {i.path}")
    for e in missing_interpreters():
        lines.append(f"interpreter {e.id}: missing: {e.reason}")
    return lines


@pytest.fixture(scope="session")
def proftui() -> str:
    path = proftui_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(f"proftui binary not found or not executable: {path} "
                    "(build it with `ninja -C build`, or set PROFTUI=/path/to/proftui)",
                    pytrace=False)
    return path


@pytest.fixture
def spawn():
    """Start background processes that are killed when the test ends."""
    procs: List[subprocess.Popen] = []

    def start(args, **kw) -> subprocess.Popen:
        kw.setdefault("stdin", subprocess.DEVNULL)
        proc = subprocess.Popen([str(a) for a in args], start_new_session=True, **kw)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            kill_group(proc)
        proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


@pytest.fixture
def attach_target(spawn, tmp_path):
    """Start workloads/attach_target.py under an interpreter and wait until it
    reports readiness. Returns a factory taking the Interpreter. Its counter
    file is kept in memory (/dev/shm) where there is one: the target stores to
    it through a mapping, and a disk-backed page could still stall that store."""
    serial = itertools.count()
    shm = Path("/dev/shm")
    where = Path(tempfile.mkdtemp(prefix="proftui-", dir=shm)) \
        if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path

    def start(interp: Interpreter) -> AttachTarget:
        counter = where / f"counter-{next(serial)}"
        proc = spawn([interp.path, WORKLOADS / "attach_target.py", counter],
                     stdout=subprocess.PIPE)
        line = read_line(proc, 30, "the attach target to print 'ready'")
        assert line == f"ready {proc.pid}", f"unexpected readiness line {line!r}"
        target = AttachTarget(proc, proc.pid, counter)
        wait_for(lambda: target.counter() >= 1, 10, "the attach target's first counter")
        return target
    yield start
    if where != tmp_path:
        shutil.rmtree(where, ignore_errors=True)


@pytest.fixture(scope="session")
def cached_workload(proftui, tmp_path_factory):
    """profile_workload() memoized per (interpreter, workload, args, opts),
    for tests that inspect the same run from different angles."""
    cache: Dict[tuple, WorkloadRun] = {}

    def get(interp: Interpreter, workload: str, args: Sequence = (),
            opts: Sequence[str] = ()) -> WorkloadRun:
        key = (interp.id, workload, tuple(map(str, args)), tuple(opts))
        if key not in cache:
            tmp = tmp_path_factory.mktemp(f"{interp.id}-{Path(workload).stem}")
            cache[key] = profile_workload(proftui, interp, workload, args, opts, tmp)
        return cache[key]
    return get
