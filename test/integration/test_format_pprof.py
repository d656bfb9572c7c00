# SPDX-License-Identifier: MIT
"""pprof output (-o x.pb.gz) read by its real client, `go tool pprof`
(Debian's golang-go): the same functions and shares (within 1 pp) as the
collapsed output of the same run (-o x.txt -o x.pb.gz), the threads as
labels (-tags, -tagfocus), the metadata as comments (-raw), and hostile
names that neither break the file nor reach the output unescaped.

The writer reads the profile's table, not the target, so these tests run
on two interpreters only: the system Python and Debian's 3.15 (static),
as PROFTUI_PYTHONS allows; the engine's tests cover every version."""

import gzip
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

import clients
from harness import Profile, profile_workload, run, selected_interpreters
from hostile import HOSTILE
from test_modes import states
from test_ui import live  # noqa: F401 (fixture)

# Two threads of CPU-time spins (measured with thread_time, so --cpu
# shares follow the code, not the machine's load): MainThread's main()
# gives alpha 60 %, beta 30 % and its own spin 10 %; "worker-x" spins in gamma.
WORKLOAD = r'''
import sys, threading, time

def spin(seconds):
    end = time.thread_time() + seconds
    while time.thread_time() < end: pass

def alpha(): spin(0.006)
def beta(): spin(0.003)
def gamma(): spin(0.002)

def main(until):
    while time.monotonic() < until:
        alpha()
        beta()
        spin(0.001)

def worker(until):
    while time.monotonic() < until:
        gamma()

until = time.monotonic() + float(sys.argv[1])
w = threading.Thread(target=worker, args=(until,), name="worker-x")
w.start()
main(until)
w.join()
'''

NAMES = ("alpha", "beta", "gamma", "spin", "main", "worker")


def format_interpreters() -> list:
    """The system Python and Debian's 3.15 (static), among the selected ones."""
    picked = [i for i in selected_interpreters()
              if i.kind == "system" or i.id == "debian-3.15-static"]
    return [pytest.param(i, id=i.id) for i in picked] or [
        pytest.param(None, id="none", marks=pytest.mark.skip(
            reason="neither the system Python nor debian-3.15-static is selected"))]


def record(proftui, interp, tmp_path: Path, *outputs: str, seconds: float = 2.0) -> Path:
    """Run the workload under proftui --cpu for `seconds`, writing every
    output named (in tmp_path); returns the collapsed one's path."""
    script = tmp_path / "workload.py"
    script.write_text(WORKLOAD)
    args = [proftui, "--cpu", "-d", str(seconds)]
    for name in outputs:
        args += ["-o", tmp_path / name]
    res = run([*args, "--", interp.path, script, "30"], timeout=60)
    assert res.returncode in (0, 128 + signal.SIGINT, 128 + signal.SIGTERM), res.describe()
    for name in outputs:
        assert (tmp_path / name).stat().st_size > 0, f"{name} is empty"
    return tmp_path / outputs[0]


def collapsed_shares(p: Profile) -> Tuple[Dict[str, float], Dict[str, float], int]:
    """(own %, total %, samples) per function name, from the collapsed output."""
    total = sum(s.count for s in p.stacks)
    own: Dict[str, int] = {}
    cum: Dict[str, int] = {}
    for s in p.stacks:
        if s.leaf:
            own[s.leaf.name] = own.get(s.leaf.name, 0) + s.count
        for name in set(s.names()):
            cum[name] = cum.get(name, 0) + s.count
    return ({k: 100.0 * v / total for k, v in own.items()},
            {k: 100.0 * v / total for k, v in cum.items()}, total)


def go_pprof(tmp_path: Path, *args: str) -> str:
    """`go tool pprof ARGS` offline, with its caches in tmp_path."""
    go = clients.go()
    home = tmp_path / "gohome"
    home.mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(home), GOCACHE=str(home / "cache"), GOPATH=str(home / "path"),
               GOTOOLCHAIN="local", GOPROXY="off", GOFLAGS="", PPROF_TMPDIR=str(home))
    res = subprocess.run([go, "tool", "pprof", *args], capture_output=True, text=True,
                         timeout=120, env=env, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, f"go tool pprof {' '.join(args)}: {res.returncode}\n{res.stderr}"
    return res.stdout


TOP_RE = re.compile(r"^\s*(\S+)\s+([\d.]+)%\s+[\d.]+%\s+(\S+)\s+([\d.]+)%\s+(.+?)\s*$")


def pprof_top(tmp_path: Path, path: Path, *extra: str,
              index: str = None) -> Tuple[Dict[str, Tuple[float, float]], str]:
    """{function: (flat %, cum %)} from `go tool pprof -top` by sample type
    `index` (None: the file's default one), nothing dropped, and the whole
    output."""
    pick = [f"-sample_index={index}"] if index else []
    out = go_pprof(tmp_path, "-top", *pick, "-nodefraction=0", "-nodecount=100000", *extra,
                   str(path))
    rows = {}
    for line in out.splitlines():
        m = TOP_RE.match(line)
        if m and m[1] != "flat":
            rows[m[5]] = (float(m[2]), float(m[4]))
    return rows, out


_gz_runs: Dict[str, Path] = {}


def recorded_gz(proftui, interp, tmp_path_factory) -> Path:
    """The directory of one 2 s run's x.txt and x.pb.gz, made once per
    interpreter for the tests that read them."""
    if interp.id not in _gz_runs:
        tmp = tmp_path_factory.mktemp(f"pprof-{interp.id}")
        record(proftui, interp, tmp, "x.txt", "x.pb.gz")
        _gz_runs[interp.id] = tmp
    return _gz_runs[interp.id]


@pytest.mark.parametrize("finterp", format_interpreters())
def test_pprof_read_by_go_tool_pprof(proftui, finterp, tmp_path, tmp_path_factory):
    rec = recorded_gz(proftui, finterp, tmp_path_factory)
    p = Profile.load(rec / "x.txt")
    own, cum, total = collapsed_shares(p)
    rows, out = pprof_top(tmp_path, rec / "x.pb.gz")
    m = re.search(r"Total samples = (\d+)", out)
    assert m and int(m[1]) == total, f"collapsed has {total} samples; pprof says:\n{out}"
    assert own.get("spin", 0) > 50 and cum.get("alpha", 0) > 20, p.summary()
    for name in NAMES:
        assert name in rows, f"{name} missing from go tool pprof -top:\n{out}"
        flat_pct, cum_pct = rows[name]
        assert abs(flat_pct - own.get(name, 0.0)) <= 1.0, (name, rows[name], own.get(name), out)
        assert abs(cum_pct - cum.get(name, 0.0)) <= 1.0, (name, rows[name], cum.get(name), out)
    top = sorted(own, key=lambda k: -own[k])[:3]
    assert [r for r in rows if rows[r][0] > 0][:1] == top[:1], (top, out)


def tag_counts(out: str, key: str) -> Dict[str, int]:
    """{value: samples} of one tag in `go tool pprof -tags` output."""
    counts, inside = {}, False
    for line in out.splitlines():
        if re.match(rf"^\s*{key}: Total", line):
            inside = True
            continue
        if inside:
            m = re.match(r"^\s+(\d+)(?:\.0+)?\s+\(\s*[\d.]+%\):\s(.*)$", line)
            if not m:
                break
            counts[m[2]] = int(m[1])
    return counts


@pytest.mark.parametrize("finterp", format_interpreters())
def test_pprof_threads_as_labels(proftui, finterp, tmp_path, tmp_path_factory):
    rec = recorded_gz(proftui, finterp, tmp_path_factory)
    p = Profile.load(rec / "x.txt")
    threads = p.thread_meta()
    by_name = {t.name: t.samples for t in threads.values()}
    assert set(by_name) >= {"MainThread", "worker-x"}, p.summary()
    out = go_pprof(tmp_path, "-tags", str(rec / "x.pb.gz"))        # the default type: cpu
    assert tag_counts(out, "thread_name") == by_name, out
    assert tag_counts(out, "thread_id") == {str(t.tid): t.samples for t in threads.values()}, out
    pid = p.meta["pid"].split()[0]
    assert tag_counts(out, "pid") == {pid: sum(by_name.values())}, out
    rows, top = pprof_top(tmp_path, rec / "x.pb.gz", "-tagfocus=thread_name=worker-x")
    m = re.search(r"Showing nodes accounting for (\d+),", top)
    assert m and int(m[1]) == by_name["worker-x"], top
    assert "gamma" in rows and "alpha" not in rows, top


@pytest.mark.parametrize("finterp", format_interpreters())
def test_pprof_metadata(proftui, finterp, tmp_path):
    record(proftui, finterp, tmp_path, "x.txt", "x.pprof", seconds=1.0)
    p = Profile.load(tmp_path / "x.txt")
    raw = go_pprof(tmp_path, "-raw", str(tmp_path / "x.pprof"))
    comments = [line[len("Comment: "):] for line in raw.splitlines() if line.startswith("Comment: ")]
    for key in ("proftui", "python", "mode", "samples", "missed", "lost", "failed", "pid"):
        assert f"{key}: {p.meta[key]}" in comments, (key, p.meta[key], comments)
    assert any(c.startswith("command: ") and "workload.py" in c for c in comments), comments
    assert "PeriodType: cpu nanoseconds" in raw and "Period: 1000000" in raw, raw[:2000]
    # the byte types come when the resident memory grew (alloc_space) or
    # shrank (freed_space) during the run, which a 1 s run may or may not see
    assert re.search(r"^samples/count cpu/count\[dflt\] gil/count idle/count( alloc_space/bytes)?"
                     r"( freed_space/bytes)?$", raw, re.M), raw[:2000]
    # each function's first line (start_line): "alpha /path/workload.py:LINE s=FIRST"
    first = WORKLOAD.split("\n").index("def alpha(): spin(0.006)") + 1
    assert re.search(rf" alpha \S*workload\.py:{first} s={first}$", raw, re.M), raw[-3000:]
    d = re.search(r"^Duration: ([\d.]+)", raw, re.M)
    assert d and 0.8 <= float(d[1]) <= 5, raw[:2000]


# ---------------------------------------------------------------- hostile names

def pb_fields(buf: bytes):
    """(field, wire type, int or bytes) of each field of one message."""
    pos = 0

    def varint():
        nonlocal pos
        v = shift = 0
        while True:
            c = buf[pos]
            pos += 1
            v |= (c & 0x7F) << shift
            shift += 7
            if not c & 0x80:
                return v

    while pos < len(buf):
        tag = varint()
        field, wire = tag >> 3, tag & 7
        assert wire in (0, 2), f"wire type {wire} at {pos}"
        if wire == 0:
            yield field, wire, varint()
        else:
            n = varint()
            assert pos + n <= len(buf), "field runs past its message"
            yield field, wire, buf[pos:pos + n]
            pos += n


def decode_profile(data: bytes) -> Tuple[List[str], List[dict], List[List[Tuple[int, int]]]]:
    """(string table, functions {id, name, file}, each sample's labels
    [(key, str)]) of an uncompressed profile.proto; strings must be UTF-8."""
    strings, funcs, labels = [], [], []
    for field, _, value in pb_fields(data):
        if field == 6:
            strings.append(value.decode("utf-8"))        # raises on invalid UTF-8
        elif field == 5:
            f = {k: v for k, _, v in pb_fields(value)}
            funcs.append(f)
        elif field == 2:
            labels.append([tuple(v for _, _, v in pb_fields(lab))
                           for k, _, lab in pb_fields(value) if k == 3])
    return strings, funcs, labels


def test_pprof_hostile_names(proftui, tmp_path):
    """Names 10,000 characters long, Cyrillic, CJK, emoji, with ';', spaces
    and newlines, in functions, files and a thread name: the file decodes,
    every string is valid UTF-8 without control characters, the functions
    are the collapsed output's (which also turns ';' into ':'), and go tool
    pprof reads it."""
    interp = next((i for i in selected_interpreters() if i.kind == "system"), None)
    if interp is None:
        pytest.skip("the system Python is not selected")
    info = tmp_path / "info.json"
    res = run([proftui, "-o", tmp_path / "x.txt", "-o", tmp_path / "x.pb.gz", "--", interp.path,
               HOSTILE / "hostile_names.py", info, 1.5], timeout=60)
    assert res.returncode == 0, res.describe()
    p = Profile.load(tmp_path / "x.txt")
    strings, funcs, labels = decode_profile(gzip.decompress((tmp_path / "x.pb.gz").read_bytes()))
    assert strings[0] == ""
    for s in strings:
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029"
                       for c in s), repr(s[:200])
    pairs = {(strings[f.get(2, 0)].replace(";", ":"), strings[f.get(4, 0)].replace(";", ":"))
             for f in funcs}
    frames = {(f.name, f.file) for s in p.stacks for f in s.frames if f.file is not None}
    assert frames and frames <= pairs, sorted(frames - pairs)[:5]
    facts = json.loads(info.read_text())
    tname = next(strings[v] for lab in labels for k, v in lab if strings[k] == "thread_name"
                 and strings[v].startswith("thr;ead?name"))
    assert tname.replace(";", ":") == p.threads()[facts["thread"][0]], (tname, p.threads())
    out = go_pprof(tmp_path, "-top", "-sample_index=samples", str(tmp_path / "x.pb.gz"))
    assert "Total samples = %d" % sum(s.count for s in p.stacks) in out, out[:2000]


def test_pprof_of_a_profile_without_interval_shows_counts(proftui, tmp_path):
    """A flamegraph.pl file has no interval: every time is 0, so `go tool
    pprof -top` (no -sample_index) showed '0 of 0 total'. The file names
    samples/count as its default sample type then (found by QA)."""
    src = tmp_path / "fg.txt"
    src.write_text("main;foo 10\nmain;bar 5\n")
    out = tmp_path / "fg.pb.gz"
    res = run([proftui, "--open", src, "-o", out])
    assert res.returncode == 0, res.describe()
    text = go_pprof(tmp_path, "-top", str(out))
    assert "Type: samples" in text and re.search(r"of 15 total", text), text
    rows = {m[5]: float(m[2]) for m in map(TOP_RE.match, text.splitlines()) if m and m[1] != "flat"}
    assert rows.get("foo") == 66.67 and rows.get("bar") == 33.33, text
    back = run([proftui, "--open", out, "-o", tmp_path / "back.txt"])     # still read as before
    assert back.returncode == 0, back.describe()
    assert Profile.load(tmp_path / "back.txt").stacks, back.describe()


# ------------------------------------------------------- every thread state

# The sample type of each figure of a "# state:" line (test_modes.states):
# every state of a live run is a type of its own (README "pprof").
STATE_FIELDS = {"samples": "samples", "cpu": "cpu", "gil": "gil", "idle": "idle"}


def decode_samples(data: bytes) -> Tuple[List[Tuple[str, str]], str, List[Tuple[List[int], Dict[str, int]]]]:
    """([(type, unit)], default type, [(values, numeric labels)]) of an
    uncompressed profile.proto."""
    strings, types, default, samples = [], [], 0, []
    for field, _, value in pb_fields(data):
        if field == 6:
            strings.append(value.decode("utf-8"))
    for field, _, value in pb_fields(data):
        if field == 1:
            f = {k: v for k, _, v in pb_fields(value)}
            types.append((strings[f.get(1, 0)], strings[f.get(2, 0)]))
        elif field == 14:
            default = value
        elif field == 2:
            values, labels = [], {}
            for k, wire, v in pb_fields(value):
                if k == 2 and wire == 2:                 # packed
                    values += unpack(v)
                elif k == 2:
                    values.append(v)
                elif k == 3:
                    lab = {lk: lv for lk, _, lv in pb_fields(v)}
                    if 3 in lab:
                        labels[strings[lab[1]]] = lab[3]
            samples.append((values, labels))
    return types, strings[default], samples


def unpack(buf: bytes) -> List[int]:
    """The varints of a packed repeated field."""
    out, v, shift = [], 0, 0
    for c in buf:
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            out.append(v)
            v = shift = 0
    return out


_state_runs: Dict[str, object] = {}


def states_run(proftui, interp, tmp_path_factory):
    """One 2 s --mode gil run of workloads/modes.py (two spinners, a
    hasher, a sleeper) per interpreter, written as g.txt (collapsed) and
    g.pb.gz; the runs' WorkloadRun and its directory."""
    if interp.id not in _state_runs:
        tmp = tmp_path_factory.mktemp(f"pstates-{interp.id}")
        r = profile_workload(proftui, interp, "modes.py", [2.0],
                             ["--mode", "gil", "-o", tmp / "g.pb.gz"], tmp)
        assert r.result.returncode == 0 and r.profile is not None, r.describe()
        _state_runs[interp.id] = (r, tmp)
    return _state_runs[interp.id]


@pytest.mark.parametrize("finterp", format_interpreters())
def test_pprof_carries_every_state(proftui, finterp, tmp_path, tmp_path_factory):
    """A live run's pprof has a sample type per state, samples (wall),
    cpu, gil and idle, and the run's mode (gil) is the default: `go tool
    pprof -top` with no -sample_index shows what the collapsed output of
    the same run shows (the same total, the same top function, each
    function's flat and cum within 1 pp), and each type's count of every
    thread (-tags -sample_index=TYPE) is that thread's "# state:" figure in
    the collapsed output. No stack has more samples on a CPU or holding the
    GIL, and idle, than samples."""
    r, rec = states_run(proftui, finterp, tmp_path_factory)
    p = r.profile
    types, default, stacks = decode_samples(gzip.decompress((rec / "g.pb.gz").read_bytes()))
    names = [t for t, _ in types]
    assert names[:4] == ["samples", "cpu", "gil", "idle"] and default == "gil", (types, default)
    assert all(u == "count" for _, u in types[:4]), types
    assert names[4:] in ([], ["alloc_space"], ["alloc_space", "freed_space"]), types
    # the default type is the collapsed output's
    own, cum, total = collapsed_shares(p)
    rows, out = pprof_top(tmp_path, rec / "g.pb.gz")
    assert "Type: gil" in out and f"Total samples = {total} " in out, out[:3000]
    for name in set(own) | set(cum):      # (pprof shortens "<module>" as a C++ template)
        if cum.get(name, 0) >= 2 and not set(name) & set("<>"):
            assert name in rows, (name, out)
            assert abs(rows[name][0] - own.get(name, 0.0)) <= 1.0, (name, rows[name], own.get(name), out)
            assert abs(rows[name][1] - cum[name]) <= 1.0, (name, rows[name], cum[name], out)
    top = max(own, key=lambda k: own[k])
    assert max(rows, key=lambda k: rows[k][0]) == top, (top, out)
    # every type's counts per thread are the states the collapsed output gives
    st = states(p)
    assert set(r.info["tids"].values()) <= set(st), (r.info, st)
    for field, type_ in STATE_FIELDS.items():
        tags = tag_counts(go_pprof(tmp_path, "-tags", f"-sample_index={type_}", str(rec / "g.pb.gz")),
                          "thread_id")
        want = {str(tid): s[field] for tid, s in st.items() if s[field]}
        assert tags == want, (type_, tags, want)
    # the states of each stack are consistent
    for values, labels in stacks:
        w, c, g, i = values[:4]
        assert c + i <= w and g + i <= w and max(c, g, i) <= w, (values, labels)
    # the modes as test_modes.py sees them: in cpu the sleeper (main) is
    # gone but for the CPU time it had (its start-up, its wake-ups; as a
    # share that grows on a machine busy with other work), the hasher is
    # there; in idle the sleeper is there
    cpu_rows, cpu_out = pprof_top(tmp_path, rec / "g.pb.gz", index="cpu")
    assert cpu_rows.get("hasher", (0, 0))[1] >= 5, cpu_out
    ran = r.info["main_cpu"] * 1000
    main_cpu = st[r.info["tids"]["MainThread"]]["cpu"]
    assert main_cpu <= 1.2 * ran + 5, (f"MainThread ran {ran:.0f} ms", main_cpu, cpu_out)
    idle_rows, idle_out = pprof_top(tmp_path, rec / "g.pb.gz", index="idle")
    assert idle_rows.get("main", (0, 0))[1] >= 10, idle_out


def type_totals(path: Path) -> Dict[Tuple[str, str], Dict[int, int]]:
    """{(type, unit): {thread id: its total}} of a pprof file."""
    types, _, stacks = decode_samples(gzip.decompress(path.read_bytes()))
    out: Dict[Tuple[str, str], Dict[int, int]] = {t: {} for t in types}
    for values, labels in stacks:
        for t, v in zip(types, values):
            tid = labels.get("thread_id", 0)
            out[t][tid] = out[t].get(tid, 0) + v
    return out


@pytest.mark.parametrize("finterp", format_interpreters())
def test_pprof_of_every_state_read_back(proftui, finterp, tmp_path, tmp_path_factory):
    """--open of that pprof with -o: written as collapsed stacks it is the
    collapsed output of the run, byte for byte but for line 0 (its mode,
    gil: the default type), and written as pprof again it keeps every sample type, each
    type's total of every thread, and the default type."""
    r, rec = states_run(proftui, finterp, tmp_path_factory)
    back = run([proftui, "--open", rec / "g.pb.gz", "-o", tmp_path / "back.txt",
                "-o", tmp_path / "back.pb.gz"])
    assert back.returncode == 0, back.describe()
    # (pprof's line 0 is "unknown": a frame at line 0, such as 3.15's
    # <module> under [gc], comes back as "?", and sorts elsewhere)
    written = (rec / "profile.txt").read_text()
    if ":0)" in written:
        written, got = [sorted(re.sub(r":0\)", ":?)", text).splitlines())
                        for text in (written, (tmp_path / "back.txt").read_text())]
    else:
        got = (tmp_path / "back.txt").read_text()
    assert got == written, back.describe()
    want, got = type_totals(rec / "g.pb.gz"), type_totals(tmp_path / "back.pb.gz")
    assert list(got) == list(want) and got == want, (got, want)
    types, default, _ = decode_samples(gzip.decompress((tmp_path / "back.pb.gz").read_bytes()))
    assert default == "gil", (types, default)


def saved_threads_rows(view) -> Dict[str, Dict[str, float]]:
    """The threads view's thread rows by name: SAMPLES %CPU %GIL %WAIT
    %IDLE PID (the PID column empty: 0)."""
    rows = {}
    for line in view.display():
        m = re.match(r"\s*(\d+)\s+([\d.]+|-)\s+([\d.]+|-)\s+([\d.]+|-)\s+([\d.]+|-)\s+(?:(\d+)\s+)?\d+\s+"
                     r"(\S.*?)\s*$", line)
        if m:
            vals = [float(v) if v != "-" else -1 for v in m.groups()[1:5]]
            rows[m[7]] = dict(samples=int(m[1]), cpu=vals[0], gil=vals[1], wait=vals[2], idle=vals[3],
                              pid=int(m[6] or 0))
    return rows


@pytest.mark.parametrize("fmt", ["pb.gz", "prof"])
def test_pty_saved_states_switch_mode(proftui, live, tmp_path, tmp_path_factory, fmt):
    """The live view over that run's pprof, or over its pstats file (which
    carries the same pprof), starts in the run's mode (gil) and m switches
    it as in a live run: in each mode the rows give the functions the
    shares `go tool pprof -top` gives of that mode's sample type; the
    threads view lists each thread's states as the "# state:" lines say.
    (The files are read, not a target: the system Python's run.)"""
    interp = next((i for i in selected_interpreters() if i.kind == "system"), None)
    if interp is None:
        pytest.skip("the system Python is not selected")
    r, rec = states_run(proftui, interp, tmp_path_factory)
    src = rec / "g.pb.gz"
    if fmt == "prof":
        src = rec / "g.prof"
        conv = run([proftui, "--open", rec / "g.pb.gz", "-o", src])
        assert conv.returncode == 0, conv.describe()
    # by function and file, as the view's rows are: by name alone, pprof
    # adds site.py's main to the workload's when a sample caught start-up
    want = {mode: pprof_top(tmp_path, rec / "g.pb.gz", "-filefunctions", index=index)[0]
            for mode, index in (("gil", "gil"), ("idle", "idle"), ("wall", "samples"), ("cpu", "cpu"))}
    view = live("--open", src, cwd=tmp_path)
    for mode, keys in (("gil", ""), ("idle", "m"), ("wall", "mmm"), ("cpu", "m")):
        view.send(keys)
        view.wait_for(lambda: view.header().get("mode") == mode, f"the header to say {mode}")
        shares = {name.split(" ", 1)[0]: cum for name, (_, cum) in want[mode].items()
                  if name.split(" ", 1)[0] in ("spin", "hasher", "main") and
                  name.endswith("/workloads/modes.py") and cum >= 1}
        assert shares, (mode, want[mode])

        def rows_match():
            got = {name: view.row(name) for name in shares}
            return all(row and abs(row.total_pct - shares[name]) <= 0.11 for name, row in got.items())
        view.wait_for(rows_match, f"the rows of {mode} mode with pprof's shares {shares}")
    view.send("T")
    st = states(r.profile)
    names = {tid: name for name, tid in r.info["tids"].items()}
    pid = int(r.profile.meta["pid"].split()[0])

    def threads_match():
        rows = saved_threads_rows(view)
        for tid, s in st.items():
            row = rows.get(names.get(tid, ""))
            # each thread under the profile's process, whose pid the file keeps
            if tid in names and (not row or row["samples"] != s["samples"] or row["pid"] != pid or
                                 abs(row["cpu"] - 100 * s["cpu"] / s["samples"]) > 0.051 or
                                 abs(row["gil"] - 100 * s["gil"] / s["samples"]) > 0.051 or
                                 abs(row["wait"] - 100 * s["wait"] / s["samples"]) > 0.051):
                return False
        return True
    view.wait_for(threads_match, f"each thread's states as the state lines say {st}")


@pytest.mark.parametrize("finterp", format_interpreters())
def test_pprof_memory_mode(proftui, finterp, tmp_path):
    """--mode memory: the default type is alloc_space (bytes), pprof's name
    for allocated bytes, with the bytes of the collapsed output of the same
    run, build_list on top; freed_space beside it has the shrinking, which
    the workload's main() makes (del of the list); the states are there as
    counts too; --open -o writes them all again."""
    r = profile_workload(proftui, finterp, "memory.py", [2],
                         ["--mode", "memory", "-o", tmp_path / "m.pb.gz"], tmp_path)
    assert r.result.returncode == 0 and r.profile is not None, r.describe()
    types, default, stacks = decode_samples(gzip.decompress((tmp_path / "m.pb.gz").read_bytes()))
    assert default == "alloc_space" and ("alloc_space", "bytes") in types, types
    assert ("samples", "count") in types and ("cpu", "count") in types, types
    k = types.index(("alloc_space", "bytes"))
    assert sum(v[k] for v, _ in stacks) == sum(s.count for s in r.profile.stacks), r.describe()
    rows, out = pprof_top(tmp_path, tmp_path / "m.pb.gz")
    assert "Type: alloc_space" in out, out[:2000]
    assert rows and rows.get("build_list", (0, 0))[1] >= 80, out[:3000]
    assert ("freed_space", "bytes") in types, types
    f = types.index(("freed_space", "bytes"))
    assert sum(v[f] for v, _ in stacks) >= 300 << 20, r.describe()
    rows, out = pprof_top(tmp_path, tmp_path / "m.pb.gz", index="freed_space")
    assert rows.get("main", (0, 0))[0] >= 80, out[:3000]
    # converted again: every type's totals, the bytes too
    back = run([proftui, "--open", tmp_path / "m.pb.gz", "-o", tmp_path / "back.pb.gz"])
    assert back.returncode == 0, back.describe()
    assert type_totals(tmp_path / "back.pb.gz") == type_totals(tmp_path / "m.pb.gz")
