# SPDX-License-Identifier: MIT
"""The pstats format (include/pstats.h), read by its real client: Python's
pstats module (pstats.Stats and `python3 -m pstats`) on the system python,
pyenv's 3.8 and Debian's 3.15 (each when present: the oldest and newest
readers), each file compared with the collapsed output of the same run
(`-o x.txt -o x.prof`).

The writer reads the table, not the target, so the profiles are recorded
on two interpreters only: the system python and Debian's static 3.15
(narrowed by PROFTUI_PYTHONS; a missing one is a skipped test with the
reason)."""

import json
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

from harness import WORKLOADS, Profile, Share, all_interpreters, missing_interpreters, samples
from hostile import header_constant
from test_format_speedscope import (CALLS, HOSTILE, TOP, UI_WORKLOADS, assert_shares_match,
                                    cut, def_line, format_interpreter_params,
                                    record)

LOADER = r"""
import io, json, pstats, sys
s = pstats.Stats(sys.argv[1], stream=io.StringIO())
key = lambda f: [f[0], f[1], f[2]]
entries = [[key(f), cc, nc, tt, ct,
            [[key(c), list(v) if isinstance(v, tuple) else v] for c, v in callers.items()]]
           for f, (cc, nc, tt, ct, callers) in s.stats.items()]
s.sort_stats("cumulative").print_stats(12)
s.print_callers(12)
print(json.dumps({"total_tt": s.total_tt, "entries": entries, "printed": s.stream.getvalue()}))
"""


def loader_params() -> list:
    """The Pythons whose pstats read the files: system, 3.8, Debian 3.15."""
    params = []
    interps = all_interpreters()
    for ident, pick in (("system", lambda i: i.kind == "system"),
                        ("3.8", lambda i: i.minor == (3, 8)),
                        ("debian-3.15-static", lambda i: i.id == "debian-3.15-static")):
        found = [i for i in interps if pick(i)]
        if found:
            params.append(pytest.param(found[0].path, id=f"read-{ident}"))
            continue
        why = [e.reason for e in missing_interpreters() if e.id == ident]
        params.append(pytest.param(None, id=f"read-{ident}", marks=pytest.mark.skip(
            reason=f"{ident}: {why[0] if why else 'not on this machine'}")))
    return params


class Stats:
    """A pstats file as one Python's pstats module loaded it."""

    def __init__(self, python: str, path: Path):
        res = subprocess.run([python, "-c", LOADER, str(path)], capture_output=True, text=True,
                             timeout=120)
        assert res.returncode == 0, f"{python}: pstats.Stats failed:\n{res.stderr[-3000:]}"
        data = json.loads(res.stdout)
        self.total_tt = data["total_tt"]
        self.printed = data["printed"]
        self.entries = {tuple(k): (cc, nc, tt, ct, {tuple(c): v for c, v in callers})
                        for k, cc, nc, tt, ct, callers in data["entries"]}

    def by_name(self, name: str, file: str = None):
        hits = [(k, v) for k, v in self.entries.items()
                if k[2] == name and (file is None or k[0] == file)]
        assert len(hits) == 1, f"{len(hits)} entries named {name}: {[k for k, _ in hits]}"
        return hits[0]

    def shares(self, file: str) -> Dict[str, tuple]:
        """(own, total) share of each function of `file`, from tt and ct
        over all the time."""
        return {name: (tt / self.total_tt, ct / self.total_tt)
                for (f, _, name), (_, _, tt, ct, _) in self.entries.items() if f == file}


def file_shares(p: Profile, file: str) -> Dict[str, Share]:
    """Collapsed shares of the functions of `file` (functions of the same
    name in other files, such as site's main(), kept apart as pstats keeps
    them)."""
    n = samples(p.stacks)
    own: Dict[str, int] = {}
    total: Dict[str, int] = {}
    for s in p.stacks:
        if s.leaf is not None and s.leaf.file == file:
            own[s.leaf.name] = own.get(s.leaf.name, 0) + s.count
        for name in {f.name for f in s.frames if f.file == file}:
            total[name] = total.get(name, 0) + s.count
    return {name: Share(own.get(name, 0) / n, total[name] / n) for name in total}


def on_stack(p: Profile, name: str, file: str) -> int:
    return sum(s.count for s in p.stacks if any(f.name == name and f.file == file for f in s.frames))


def running(p: Profile, name: str, file: str) -> int:
    return sum(s.count for s in p.stacks if s.leaf and (s.leaf.name, s.leaf.file) == (name, file))


_runs: Dict[tuple, tuple] = {}


def recorded(proftui, interp, tmp_path_factory, script: Path, seconds=3.0, args=()) -> tuple:
    """(collapsed Profile, .prof path, its directory) of one run, made once per interpreter
    and script for the loaders that read it."""
    key = (interp.id, script.name)
    if key not in _runs:
        tmp = tmp_path_factory.mktemp(f"pstats-{interp.id}-{script.stem}")
        txt, prof = tmp / "p.txt", tmp / "p.prof"
        record(proftui, interp, script, [txt, prof], seconds=seconds,
               args=[a if a != "{info}" else tmp / "info.json" for a in args])
        _runs[key] = (Profile.load(txt), prof, tmp)
    return _runs[key]


@pytest.fixture(params=format_interpreter_params())
def finterp(request):
    return request.param


@pytest.mark.parametrize("loader", loader_params())
def test_times_counts_and_callers(proftui, finterp, loader, tmp_path_factory):
    """calls.py (main calls alpha and beta, both call burn): every entry's
    counts are the samples of the collapsed output (cc running, nc on the
    stack), times are samples x 1 ms, shares within 1 pp, keys carry the
    first line, burn is called by alpha and beta (about 2:1) with the
    collapsed output's direct-call samples, alpha and beta by main only;
    `python3 -m pstats` prints them."""
    p, prof, _ = recorded(proftui, finterp, tmp_path_factory, CALLS)
    st = Stats(loader, prof)
    n = samples(p.stacks)
    assert abs(st.total_tt - n * 0.001) < 1e-6, (st.total_tt, n)
    assert_shares_match(st.shares(str(CALLS)), file_shares(p, str(CALLS)), TOP,
                        f"pstats read by {loader}")
    keys = {}
    for name in TOP:
        key, (cc, nc, tt, ct, _) = st.by_name(name, str(CALLS))
        keys[name] = key
        assert key[1] == def_line(CALLS, name), key
        assert cc == running(p, name, str(CALLS)) and nc == on_stack(p, name, str(CALLS))
        assert abs(tt - cc * 0.001) < 1e-9 and abs(ct - nc * 0.001) < 1e-9
    callers = st.entries[keys["burn"]][4]
    assert set(callers) == {keys["alpha"], keys["beta"]}, callers
    for caller in ("alpha", "beta"):
        edge_nc, edge_cc, edge_tt, edge_ct = callers[keys[caller]]
        direct = sum(s.count for s in p.stacks if direct_call(s.names(), caller, "burn"))
        assert edge_nc == direct and edge_cc == direct, (caller, callers[keys[caller]], direct)
        assert abs(edge_ct - direct * 0.001) < 1e-9
    ratio = callers[keys["alpha"]][0] / callers[keys["beta"]][0]
    assert 1.5 < ratio < 2.7, f"alpha:beta calls of burn {ratio:.2f}, expected about 2"
    for name in ("alpha", "beta"):
        assert set(st.entries[keys[name]][4]) == {keys["main"]}
    assert "burn" in st.printed and "was called by" in st.printed


def direct_call(names: List[str], caller: str, callee: str) -> bool:
    return any(a == caller and b == callee for a, b in zip(names, names[1:]))


def test_python_m_pstats(proftui, finterp, tmp_path_factory):
    """The pstats browser (`python3 -m pstats FILE`) reads the file and
    sorts it by cumulative time: main above burn."""
    _, prof, _ = recorded(proftui, finterp, tmp_path_factory, CALLS)
    res = subprocess.run(["/usr/bin/python3", "-m", "pstats", str(prof)], text=True,
                         input="sort cumulative\nstats 20\nquit\n", capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert f"calls.py:{def_line(CALLS, 'burn')}(burn)" in out, out[-3000:]
    assert out.index("(main)") < out.index("(burn)"), out[-3000:]


@pytest.mark.parametrize("loader", loader_params())
def test_recursion_counts_once(proftui, finterp, loader, tmp_path_factory):
    """descend() recursing 50 deep into bottom(): its cumulative time counts
    each sample once (ct = its samples x interval, within the run's time and
    1 pp of the collapsed total share), and it is its own caller."""
    p, prof, _ = recorded(proftui, finterp, tmp_path_factory, WORKLOADS / "recursion.py",
                       seconds=2.5, args=("{info}", 30, 50))
    st = Stats(loader, prof)
    key, (cc, nc, tt, ct, callers) = st.by_name("descend")
    with_descend = on_stack(p, "descend", key[0])
    assert with_descend > 0.5 * samples(p.stacks), p.summary()
    assert nc == with_descend and ct <= st.total_tt + 1e-9
    assert abs(ct / st.total_tt - file_shares(p, key[0])["descend"].total) <= 0.01
    assert key in callers and callers[key][0] <= nc, callers


def test_hostile_names(proftui, finterp, tmp_path_factory):
    """Hostile names and threads load in every pstats: each function an
    entry with its name escaped as the collapsed output escapes it (';'
    kept), every thread's samples in the one profile."""
    p, prof, tmp = recorded(proftui, finterp, tmp_path_factory, HOSTILE / "hostile_names.py",
                            seconds=1.5, args=("{info}", 1.5))
    facts = json.loads((tmp / "info.json").read_text())
    limit = header_constant("pystr.h", "PYSTR_MAX")
    loaders = [x.values[0] for x in loader_params() if x.values[0]]
    for loader in loaders:
        st = Stats(loader, prof)
        assert abs(st.total_tt - samples(p.stacks) * 0.001) < 1e-6
        got = {(k[2], k[0]) for k in st.entries}
        for case, (name, file) in facts["funcs"].items():
            want = (escaped(cut(name, limit)), escaped(cut(file, limit)))
            assert want in got, f"{loader}: {case}: no entry {want[0][:60]!r} ({want[1][:60]!r})"


def escaped(text: str) -> str:
    """include/pstats.h: control characters become '?'."""
    return "".join("?" if ord(c) < 0x20 or ord(c) == 0x7f or 0x80 <= ord(c) <= 0x9f
                   or c in "\u2028\u2029" else c for c in text)


def test_threads_merged(proftui, finterp, tmp_path_factory):
    """Three threads, one profile: each thread's own function is there."""
    p, prof, _ = recorded(proftui, finterp, tmp_path_factory, UI_WORKLOADS / "threads.py",
                       seconds=2)
    st = Stats("/usr/bin/python3", prof)
    for name in ("main_thread_work", "worker_thread_work", "sleeper_thread_wait"):
        _, (cc, nc, tt, ct, _) = st.by_name(name)
        assert nc == on_stack(p, name, str(UI_WORKLOADS / "threads.py"))
    assert abs(st.total_tt - samples(p.stacks) * 0.001) < 1e-6
