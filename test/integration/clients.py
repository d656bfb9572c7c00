# SPDX-License-Identifier: MIT
"""The real clients of proftui's output formats, installed by
test/clients/setup.sh (./dev test runs it): `go tool pprof`, headless
Chromium, and the npm packages of test/clients/package.json under
build/clients/node_modules (ajv, speedscope, playwright-core). Each getter
returns what the test needs or skips the test with the reason, so a client
that could not be installed shows as skipped, never as passed."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIENTS = REPO / "build" / "clients"
CHROMIUM = "/usr/bin/chromium"
# The flags a root, offline, sandboxed machine needs (see test/clients/setup.sh).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _missing_reason(what: str) -> str:
    note = CLIENTS / "missing.txt"
    text = note.read_text().strip() if note.exists() else ""
    return f"{what} is not installed (test/clients/setup.sh" + (f": {text})" if text else " not run)")


def go() -> str:
    """The go command, for `go tool pprof`."""
    path = shutil.which("go") or ("/usr/lib/go/bin/go" if os.access("/usr/lib/go/bin/go", os.X_OK) else None)
    if not path:
        pytest.skip(_missing_reason("go (Debian's golang-go)"))
    return path


def chromium() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(_missing_reason("chromium"))
    return CHROMIUM


def node_modules(package: str) -> Path:
    """build/clients/node_modules/<package>, with node itself."""
    if not shutil.which("node"):
        pytest.skip(_missing_reason("node"))
    path = CLIENTS / "node_modules" / package
    if not path.is_dir():
        pytest.skip(_missing_reason(f"the npm package {package}"))
    return path


def run_node(script: str, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
    """Run a node script (ES module source) with build/clients/node_modules on its path."""
    node_modules("ajv")
    env = dict(os.environ, NODE_PATH=str(CLIENTS / "node_modules"))
    return subprocess.run(["node", "--input-type=module", "-", *args], input=script, text=True,
                          capture_output=True, timeout=timeout, cwd=str(CLIENTS), env=env)
