# SPDX-License-Identifier: MIT
"""Which of Debian unstable's CPython 3.14 and 3.15 are usable, where they
are, and why not the others: read from the ready file that fetch-debian.sh
writes last into <repo>/build/debian-pythons (or $PROFTUI_DEBIAN_PYTHONS).
Shared by the integration tests (test/integration/harness.py) and the
benchmark (bench/run.py); standard library only."""

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[2]
FETCH = Path(__file__).resolve().parent / "fetch-debian.sh"
# static: libpython linked into python3.X; shared: a launcher linked to libpython3.X.so
IDS = ("debian-3.14-static", "debian-3.14-shared", "debian-3.15-static", "debian-3.15-shared")


@dataclass(frozen=True)
class DebianPython:
    id: str                        # e.g. "debian-3.14-shared"
    minor: Tuple[int, int]
    path: Optional[str]            # the executable, when usable
    version: str                   # e.g. "3.14.10" as the fetch saw it; "" when not usable
    reason: str                    # why it is not usable (without the id); "" when it is


def cache_dir() -> Path:
    where = os.environ.get("PROFTUI_DEBIAN_PYTHONS") or REPO / "build" / "debian-pythons"
    return Path(where).resolve()


def _minor(ident: str) -> Tuple[int, int]:
    major, minor = ident.split("-")[1].split(".")
    return int(major), int(minor)


def _read(path: Path) -> Optional[str]:
    try:
        return path.read_text()
    except OSError:
        return None


def _entries(cache: Path) -> Tuple[Dict[str, Tuple[str, str]], str]:
    """({id: (version, path)} or {id: ("", reason)}, reason for all) from
    the ready file, or from why-not when there is no ready file."""
    ready = _read(cache / "ready")
    if ready is None:
        why = (_read(cache / "why-not") or "").strip()
        if not why:
            why = f"not fetched into {cache} (run {FETCH.relative_to(REPO)}; ./dev test does)"
        return {}, why
    found: Dict[str, Tuple[str, str]] = {}
    for line in ready.splitlines()[1:]:
        state, _, rest = line.partition(" ")
        ident, _, rest = rest.partition(" ")
        if state == "ok":
            version, _, exe = rest.partition(" ")
            found[ident] = (version, exe)
        elif state == "fail":
            found[ident] = ("", rest.strip() or "failed")
    return found, f"{cache}/ready does not mention it"


def debian_pythons() -> List[DebianPython]:
    """One entry per id in IDS, usable or with the reason it is not."""
    cache = cache_dir()
    found, why = _entries(cache)
    out = []
    for ident in IDS:
        version, what = found.get(ident, ("", why))
        if not version:
            out.append(DebianPython(ident, _minor(ident), None, "", what))
        elif not os.access(what, os.X_OK):
            out.append(DebianPython(ident, _minor(ident), None, "",
                                    f"{what} is missing (run {FETCH.name} --refresh)"))
        else:
            out.append(DebianPython(ident, _minor(ident), what, version, ""))
    return out
