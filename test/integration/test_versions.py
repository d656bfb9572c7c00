# SPDX-License-Identifier: MIT
"""CPython versions proftui has no table for. A version newer than the
newest table is tried from its own _Py_DebugOffsets, with a warning on
stderr and in the profile's metadata, and must give exact stacks; one whose
debug offsets do not fit the newest known struct is refused in one line
naming it (exit 6); free-threaded builds are refused in one line (exit 6).

Such interpreters are made from a real one: a copy of a static CPython 3.13+
executable (libpython linked in, so _PyRuntime and Py_Version are in the
file) with the minor version in Py_Version and _Py_DebugOffsets.version, or
the _Py_DebugOffsets.free_threaded flag, patched. The interpreter itself
reads neither, so the copy runs as before (PYTHONHOME points it at the
original's standard library)."""

import json
import os
import re
import struct
import subprocess
from pathlib import Path
from typing import List, Optional

import pytest

from harness import REPO, Interpreter, parse_collapsed, run, selected_interpreters

EXIT_VERSION = int(re.search(r"EXIT_VERSION\s*=\s*(\d+)",
                             (REPO / "include" / "exitcode.h").read_text()).group(1))
NEWEST_TABLE = max(int(m) for m in re.findall(r"\.minor = (\d+),",
                                              (REPO / "src/python/layout_tables.c").read_text()))
FUTURE = 16 if NEWEST_TABLE < 16 else NEWEST_TABLE + 1

# A named thread parks in a known function; the script writes the stack it
# sees there (qualified names, files, lines), root first, for comparison.
PROBE = r'''
import json, sys, threading, time

def stack_here():
    f, out = sys._getframe(1), []
    while f:
        out.append("%s (%s:%d)" % (f.f_code.co_qualname, f.f_code.co_filename, f.f_lineno))
        f = f.f_back
    return out[::-1]

class Probe:
    def park(self, depth, box):
        if depth:
            return self.park(depth - 1, box)
        box.append(stack_here()); time.sleep(SECONDS)

box = []
t = threading.Thread(target=Probe().park, args=(6, box), name="probe-thread")
t.start()
t.join()
json.dump(box[0], open(sys.argv[1], "w"))
'''


# ---------------------------------------------------------------- patching ELF

def _sections(data: bytes) -> List[dict]:
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    secs = []
    for i in range(shnum):
        name, typ, _, addr, off, size, link, _, _, _ = struct.unpack_from(
            "<IIQQQQIIQQ", data, shoff + i * shentsize)
        secs.append({"name": name, "type": typ, "addr": addr, "off": off, "size": size, "link": link})
    return secs


def symbol_offset(data: bytes, name: str) -> Optional[int]:
    """File offset of a defined symbol of an ELF64 file (.symtab or .dynsym)."""
    secs = _sections(data)
    want = name.encode() + b"\0"
    for s in secs:
        if s["type"] not in (2, 11):        # SHT_SYMTAB, SHT_DYNSYM
            continue
        strs = secs[s["link"]]["off"]
        for i in range(s["size"] // 24):
            st_name, _, _, shndx, value, _ = struct.unpack_from("<IBBHQQ", data, s["off"] + 24 * i)
            if 0 < shndx < len(secs) and data[strs + st_name:strs + st_name + len(want)] == want:
                return secs[shndx]["off"] + value - secs[shndx]["addr"]
    return None


def static_interpreters() -> List[Interpreter]:
    """Selected CPython 3.13+ whose executable holds _PyRuntime itself."""
    found = []
    for interp in selected_interpreters():
        if interp.minor < (3, 13):
            continue
        data = Path(os.path.realpath(interp.path)).read_bytes()
        if data[:4] == b"\x7fELF" and symbol_offset(data, "_PyRuntime") is not None:
            found.append(interp)
    return found


def patched(interp: Interpreter, dest: Path, minor: Optional[int] = None,
            free_threaded: Optional[int] = None) -> Path:
    data = bytearray(Path(os.path.realpath(interp.path)).read_bytes())
    runtime, version = symbol_offset(data, "_PyRuntime"), symbol_offset(data, "Py_Version")
    assert runtime is not None and version is not None
    assert data[runtime:runtime + 8] == b"xdebugpy", "no _Py_DebugOffsets at _PyRuntime"
    if minor is not None:
        for off in (runtime + 8, version):     # _Py_DebugOffsets.version, Py_Version
            v, = struct.unpack_from("<I", data, off)
            struct.pack_into("<I", data, off, (v & 0xFF00FFFF) | (minor << 16))
    if free_threaded is not None:
        struct.pack_into("<Q", data, runtime + 16, free_threaded)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(bytes(data))
    dest.chmod(0o755)
    return dest


def home_env(interp: Interpreter) -> dict:
    home = subprocess.run([interp.path, "-c", "import sys; print(sys.base_prefix)"],
                          stdout=subprocess.PIPE, check=True, universal_newlines=True,
                          timeout=60).stdout.strip()
    return dict(os.environ, PYTHONHOME=home)


def version_of(interp: Interpreter, minor: int) -> str:
    return f"3.{minor}.{interp.version_info[2]}"


@pytest.fixture(params=static_interpreters() or [None],
                ids=lambda i: i.id if i else "none")
def static_py(request):
    if request.param is None:
        pytest.skip("no static CPython 3.13+ (libpython in the executable) on this machine")
    return request.param


# ---------------------------------------------------------------- tests

def test_newer_version(proftui, static_py, tmp_path):
    """3.FUTURE: from the newest table's version, tried with a warning and
    exact stacks; from an older one, refused in one line naming it."""
    exe = patched(static_py, tmp_path / "bin" / f"python3.{FUTURE}", minor=FUTURE)
    script, expect, out = tmp_path / "probe.py", tmp_path / "expect.json", tmp_path / "out"
    script.write_text(PROBE.replace("SECONDS", "2.0"))
    res = run([proftui, "-o", out, "--", exe, script, expect], env=home_env(static_py), timeout=90)
    version = version_of(static_py, FUTURE)
    if static_py.minor[1] != NEWEST_TABLE:
        lines = res.stderr.splitlines()
        assert res.returncode == EXIT_VERSION and len(lines) == 1, res.describe()
        assert re.search(rf"^proftui: PID \d+ runs Python {re.escape(version)}, newer than proftui "
                         r"knows .*cannot be read: \S", lines[0]), res.describe()
        return
    assert res.returncode == 0, res.describe()
    warning = (f"Python {version} is newer than proftui knows (3.8-3.{NEWEST_TABLE}); "
               f"layout from its debug offsets and the 3.{NEWEST_TABLE} table")
    assert res.stderr.splitlines() == [f"proftui: warning: {warning}"], res.describe()
    meta, stacks = parse_collapsed(out.read_text())
    assert meta.get("warning") == warning and meta.get("python") == version, meta
    want = json.loads(expect.read_text())
    probe = {}
    for frames, count in stacks:
        if len(frames) > 1 and frames[1].endswith(" probe-thread"):
            probe[frames[2:]] = probe.get(frames[2:], 0) + count
    assert probe, "no samples of probe-thread"
    top = max(probe, key=probe.get)
    assert list(top) == want, f"probe-thread stack\n got {list(top)}\nwant {want}"
    assert probe[top] >= 0.9 * sum(probe.values()), probe


def test_free_threaded_refused(proftui, static_py, tmp_path):
    """A free-threaded build (the _Py_DebugOffsets flag) is refused in one line."""
    exe = patched(static_py, tmp_path / "bin" / f"python3.{static_py.minor[1]}t", free_threaded=1)
    res = run([proftui, "-o", tmp_path / "out", "--", exe, "-c", "import time; time.sleep(5)"],
              env=home_env(static_py), timeout=60)
    lines = res.stderr.splitlines()
    assert res.returncode == EXIT_VERSION and len(lines) == 1, res.describe()
    assert re.fullmatch(rf"proftui: PID \d+ runs Python {re.escape(static_py.version)} "
                        r"\(free-threaded\): free-threaded builds \(3\.13t\+\) are not supported yet",
                        lines[0]), res.describe()
