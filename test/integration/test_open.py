# SPDX-License-Identifier: MIT
"""--open FILE (issue 11): a saved profile in the live view and converted
with -o; the format detected from the content (proftui's collapsed stacks,
other tools' folded stacks, speedscope JSON, pprof); round trips; hostile
and malformed files (one line naming the file and where, exit status
EXIT_INPUT, never a crash).

The profiles come from real runs of the system interpreter (the loaders
read files, not targets: one interpreter is enough) and from small files
written by hand from each tool's documented syntax (test/data/profiles)."""

import gzip
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from harness import SYSTEM_PYTHON, Profile, assert_error_line, run
from test_cli import EXIT
from test_ui import HOT, UI_WORKLOADS, live  # noqa: F401 (fixture)

DATA = Path(__file__).resolve().parent.parent / "data" / "profiles"
EXIT_INPUT = EXIT["EXIT_INPUT"]


def stack_lines(text):
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def meta_lines(text):
    return [line for line in text.splitlines() if line.startswith("#")]


@pytest.fixture(scope="module")
def saved(proftui, tmp_path_factory):
    """One 2 s run of hot.py written as collapsed stacks and, when this
    build has their writers, speedscope and pprof: {format: path}."""
    out = tmp_path_factory.mktemp("saved")
    files = {"collapsed": out / "a.txt"}
    res = run([proftui, "-d", "2", "-o", files["collapsed"], "--", SYSTEM_PYTHON, HOT])
    assert files["collapsed"].exists(), res.describe()
    for fmt, name in (("speedscope", "a.json"), ("pprof", "a.pb.gz"), ("svg", "a.svg"),
                      ("pstats", "a.prof")):
        path = out / name
        both = out / f"with-{fmt}.txt"
        r = run([proftui, "-d", "1", "-o", both, "-o", path, "--", SYSTEM_PYTHON, HOT])
        if r.returncode == EXIT["EXIT_USAGE"] and "not in this build yet" in r.stderr:
            continue
        assert path.exists() and both.exists(), r.describe()
        files[fmt] = path
        files[f"{fmt}-collapsed"] = both
    return files


def convert(proftui, src, dst, *opts):
    res = run([proftui, "--open", src, *opts, "-o", dst])
    assert res.returncode == 0, res.describe()
    return Path(dst).read_text()


def test_collapsed_round_trip_is_byte_identical(proftui, saved, tmp_path):
    """collapsed -> --open -> collapsed gives the same file: stacks,
    threads and metadata (failures by reason included)."""
    first = saved["collapsed"].read_text()
    second = convert(proftui, saved["collapsed"], tmp_path / "b.txt")
    assert stack_lines(first), first[:2000]
    assert second == first
    third = convert(proftui, tmp_path / "b.txt", tmp_path / "c.txt")
    assert third == first


@pytest.mark.parametrize("fmt", ["speedscope", "pprof", "svg", "pstats"])
def test_format_round_trip_same_stacks(proftui, saved, tmp_path, fmt):
    """A speedscope, pprof, SVG or pstats file of a run, opened and written
    as collapsed stacks, gives the collapsed output of the same run: pprof,
    SVG and pstats the same file (pprof's locations keep the lines; the SVG
    carries the collapsed stacks themselves, proftui's pstats the pprof
    after its dictionary); speedscope the same metadata, threads and
    stacks by function (its frames are functions: no line executing)."""
    if fmt not in saved:
        pytest.skip(f"the {fmt} writer is not in this build yet")
    expect_text = saved[f"{fmt}-collapsed"].read_text()
    got_text = convert(proftui, saved[fmt], tmp_path / "b.txt")
    assert meta_lines(got_text) == meta_lines(expect_text)
    if fmt in ("pprof", "svg", "pstats"):
        assert got_text == expect_text
        return
    expect, got = Profile.load(saved[f"{fmt}-collapsed"]), Profile.load(tmp_path / "b.txt")

    def by_function(p):
        out = Counter()
        for s in p.stacks:
            out[(s.pid, s.tid, s.thread, tuple((f.name, f.file) for f in s.frames))] += s.count
        return out
    assert by_function(got) == by_function(expect), (got.summary(), expect.summary())


@pytest.mark.parametrize("fmt", ["collapsed", "speedscope", "pprof", "svg", "pstats"])
def test_pty_open_shows_the_saved_profile(proftui, saved, live, fmt):
    """The live view over a saved profile: the state line says so, the
    header has its samples, the top view the functions with their shares
    (those of the collapsed output of the same run), every view works."""
    if fmt not in saved:
        pytest.skip(f"the {fmt} writer is not in this build yet")
    prof = Profile.load(saved["collapsed" if fmt == "collapsed" else f"{fmt}-collapsed"])
    total = sum(s.count for s in prof.stacks)
    rounds = prof.meta_count("taken") or prof.meta_count("sample")   # "# samples: N rounds"
    assert rounds, prof.summary()
    own = Counter()
    for s in prof.stacks:
        if s.leaf:
            own[s.leaf.name] += s.count
    view = live("--open", saved[fmt], cwd=UI_WORKLOADS)
    view.wait_for(lambda: view.rows(), "the first rows of the table")
    header = view.header()
    assert "SAVED" in header["state"] and str(saved[fmt].name) in header["state"], view.describe()
    assert fmt in view.header_text(), view.describe()          # Format collapsed (proftui 0.1.0) ...
    # Samples are the run's rounds, as in the live view (not its stacks)
    assert int(header["samples"].replace(",", "")) == rounds, view.describe()
    for name in ("hottest", "two_lines"):
        row = view.row(name)
        assert row is not None, view.describe()
        assert abs(row.own_pct - 100.0 * own[name] / total) <= 0.1, (name, view.describe())
    view.send(b"R")               # nothing to reset: the counts stay
    view.send(b"p")
    view.pump(0.3)
    assert int(view.header()["samples"].replace(",", "")) == rounds, view.describe()
    assert "PAUSED" not in view.header()["state"], view.describe()
    for key, text in ((b"c", "hottest"), (b"f", "hottest"), (b"t", "two_lines"), (b"v", "HOTTEST-LINE")):
        view.send(key)                # the tree, flame, top and source views over the saved profile
        view.wait_for(lambda: text in view.text(), f"{text} after the key {key!r}")
        assert "SAVED" in view.text(), view.describe()
    # m: the pprof and pstats files of a run hold every thread state, so
    # the mode switches; the others hold one, and m says so
    view.send(b"t")
    view.wait_for(lambda: view.rows(), "the top view again")
    assert view.header()["mode"] == "wall", view.describe()
    view.send(b"m")
    if fmt in ("pprof", "pstats"):
        view.wait_for(lambda: view.header()["mode"] == "cpu", "cpu mode after m")
    else:
        view.wait_for(lambda: "holds one mode" in view.text(), "m refused: the file holds one mode")
        assert view.header()["mode"] == "wall", view.describe()
    view.send(b"q")
    assert view.wait_exit() == 0


OTHER_TOOLS = {
    # file: (format word in the header, {(tid, frames root first): count})
    "pyspy-raw.txt": ("py-spy", {
        (4242, ("<module> (app.py:30)", "main (app.py:22)", "work (app.py:10)")): 60,
        (4242, ("<module> (app.py:30)", "main (app.py:23)", "idle (app.py:15)", "sleep (<built-in>:?)")): 20,
        (4243, ("_bootstrap (threading.py:995)", "run (threading.py:975)", "spin (app.py:5)")): 20}),
    "austin3.txt": ("Austin", {
        (0x7f1e2d3c4b5a, ("<module> (/srv/app.py:30)", "main (/srv/app.py:22)", "work (/srv/app.py:10)")): 2,
        (0x7f1e2d3c4b5a, ("<module> (/srv/app.py:30)", "main (/srv/app.py:22)", "work (/srv/app.py:11)")): 1,
        (0x7f1e2d3c4b5b, ("_bootstrap (/usr/lib/python3.11/threading.py:995)", "spin (/srv/app.py:5)")): 1}),
    "cpython-collapsed.txt": ("CPython", {
        (777, ("<module> (app.py:30)", "main (app.py:22)", "work (app.py:10)")): 30,
        (777, ("<module> (app.py:30)", "main (app.py:22)", "<GC> (:?)")): 5,
        (778, ("_bootstrap (threading.py:1012)", "spin (app.py:5)")): 15}),
    "flamegraph.txt": ("collapsed", {
        (0, ("main (:?)", "parse (:?)", "tokenize (:?)")): 7,
        (0, ("main (:?)", "parse (:?)")): 3,
        (0, ("main (:?)", "render (:?)", "draw (:?)", "line (:?)")): 10}),
    "speedscope-evented.json": ("speedscope", {
        (1, ("main (app.py:22)",)): 2000,
        (1, ("main (app.py:22)", "work (app.py:10)")): 6000,
        (1, ("main (app.py:22)", "sleep é (<built-in>:?)")): 2000,
        (2, ("main (app.py:22)",)): 1,
        (2, ("main (app.py:22)", "work (app.py:10)")): 2,
        (2, ("main (app.py:22)", "sleep é (<built-in>:?)")): 1}),
}


@pytest.mark.parametrize("name", sorted(OTHER_TOOLS))
def test_other_tools_files(proftui, tmp_path, name):
    """Each tool's syntax: threads, names, files and lines parsed out of
    the frames; the counts as the tool meant them."""
    _, expect = OTHER_TOOLS[name]
    got = Profile.load(convert(proftui, DATA / name, tmp_path / "out.txt") and tmp_path / "out.txt")
    stacks = {(s.tid, tuple(f.raw for f in s.frames)): s.count for s in got.stacks}
    assert stacks == expect, got.summary()


def test_other_tools_metadata(proftui, tmp_path):
    """What the files say about the run is kept: py-spy's pid and command,
    Austin's interval and Python version, thread names."""
    py = Profile.load(convert(proftui, DATA / "pyspy-raw.txt", tmp_path / "a.txt") and tmp_path / "a.txt")
    assert py.threads() == {4242: "MainThread", 4243: "worker-1"}
    assert all(s.pid == 4242 for s in py.stacks)
    au = convert(proftui, DATA / "austin3.txt", tmp_path / "b.txt")
    assert "# interval: 100us" in au and "# python: 3.11.7" in au


def test_open_reads_gzipped_collapsed_and_detects_by_content(proftui, saved, tmp_path):
    """The name says nothing: a gzipped collapsed file called .json opens."""
    odd = tmp_path / "profile.json"
    odd.write_bytes(gzip.compress(saved["collapsed"].read_bytes()))
    assert convert(proftui, odd, tmp_path / "b.txt") == saved["collapsed"].read_text()


# -------------------------------------------------------------- pprof by hand

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(num, value):
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    return varint(num << 3 | 2) + varint(len(value)) + value


def pprof_bytes():
    """A profile.proto message built from its documented field numbers:
    two sample types (cpu first, samples second: 'samples' is counted), an
    inlined location (two lines: innermost first), thread labels."""
    strings = ["", "cpu", "nanoseconds", "samples", "count", "main", "app.py", "work", "inlined_helper",
               "thread_id", "thread_name", "MainThread", "pid"]
    s = {x: i for i, x in enumerate(strings)}
    msg = field(1, field(1, s["cpu"]) + field(2, s["nanoseconds"]))
    msg += field(1, field(1, s["samples"]) + field(2, s["count"]))
    for fid, name, start in ((1, "main", 20), (2, "work", 8), (3, "inlined_helper", 2)):
        msg += field(5, field(1, fid) + field(2, s[name]) + field(4, s["app.py"]) + field(5, start))
    msg += field(4, field(1, 1) + field(4, field(1, 1) + field(2, 22)))
    msg += field(4, field(1, 2) + field(4, field(1, 3) + field(2, 3)) + field(4, field(1, 2) + field(2, 10)))
    labels = field(3, field(1, s["thread_id"]) + field(3, 99)) + \
        field(3, field(1, s["thread_name"]) + field(2, s["MainThread"])) + \
        field(3, field(1, s["pid"]) + field(3, 1234))
    packed_locs = field(1, varint(2) + varint(1))              # leaf first
    msg += field(2, packed_locs + field(2, varint(5000000) + varint(5)) + labels)
    msg += field(2, field(1, 1) + field(2, 1000000) + field(2, 2) + labels)   # unpacked
    for x in strings:
        msg += field(6, x.encode())
    msg += field(9, 1_700_000_000_000_000_000) + field(10, 2_000_000_000)
    msg += field(11, field(1, s["cpu"]) + field(2, s["nanoseconds"])) + field(12, 1_000_000)
    return msg


@pytest.mark.parametrize("packing", ["plain", "gzip"])
def test_pprof_by_hand(proftui, tmp_path, packing):
    data = pprof_bytes()
    path = tmp_path / "p.pprof"
    path.write_bytes(gzip.compress(data) if packing == "gzip" else data)
    text = convert(proftui, path, tmp_path / "out.txt")
    got = Profile.load(tmp_path / "out.txt")
    stacks = {(s.tid, tuple(f.raw for f in s.frames)): s.count for s in got.stacks}
    assert stacks == {
        (99, ("main (app.py:22)", "work (app.py:10)", "inlined_helper (app.py:3)")): 5,
        (99, ("main (app.py:22)",)): 2,
    }, text
    assert got.threads() == {99: "MainThread"}
    assert all(s.pid == 1234 for s in got.stacks)
    assert "# interval: 1000us" in text and "# duration: 2.000s" in text


# ------------------------------------------------------- hostile and malformed

def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


HOSTILE = {
    "invalid-utf8.txt": (b"main;f\xc3\x28oo 3\n", r"line 1, byte 7: invalid UTF-8"),
    "overlong.txt": (b"a;\xc0\xafb 1\n", r"line 1, byte 3: invalid UTF-8"),
    "no-count.txt": (b"main;work 12\nmain;work\n", r"line 2: .*count"),
    "huge-count.txt": (b"main;work 123456789012345678901234567890\n", r"line 1: sample count too large"),
    "sum-overflow.txt": (b"a 4611686018427387904\nb 4611686018427387904\n", r"more than \d+ samples"),
    "control.txt": (b"main;wo\x01rk 3\n" + b"x" * 5000, None),
    "deep.json": (b"[" * 100000, r"byte 257: nested deeper than 256 levels"),
    "bad.json": (b'{"shared": {"frames": [}', r"byte \d+: .*not valid JSON"),
    "utf8.json": (b'{"shared": {"frames": [{"name": "\xed\xa0\x80"}]}, "profiles": []}', r"invalid UTF-8"),
    "no-frames.json": (b'{"profiles": []}', r"not a speedscope file"),
    "bad-index.json": (b'{"shared":{"frames":[{"name":"a"}]},"profiles":[{"type":"sampled","samples":[[5]],'
                       b'"weights":[1]}]}', r"profile 0: a frame index out of range"),
    "unbalanced.json": (b'{"shared":{"frames":[{"name":"a"},{"name":"b"}]},"profiles":[{"type":"evented",'
                        b'"events":[{"type":"O","frame":0,"at":0},{"type":"C","frame":1,"at":1}]}]}',
                        r"event 1: closes a frame"),
    "truncated.pb": (pprof_bytes()[:-7], r"byte \d+: .*not a pprof profile"),
    "garbage.bin": (bytes(range(256)) * 4, r"not a pprof profile"),
    "truncated.gz": (gzip.compress("".join(f"main;work{i} {i}\n" for i in range(5000)).encode())[:3000],
                     r"truncated gzip data"),
    "gzip-in-gzip.gz": (gzip.compress(gzip.compress(b"main 1\n")), r"gzip inside gzip"),
    "empty.txt": (b"", r"no stack in the file"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_malformed_files(proftui, tmp_path, name):
    data, pattern = HOSTILE[name]
    path = write(tmp_path, name, data)
    res = run([proftui, "--open", path, "-o", tmp_path / "out.txt"])
    line = assert_error_line(res, EXIT_INPUT, None)
    assert str(path) in line, res.describe()
    if pattern:
        assert re.search(pattern, line), res.describe()
    assert not (tmp_path / "out.txt").exists()


def test_gzip_bomb_refused(proftui, tmp_path):
    """128 MiB of zeros in ~130 KB of gzip: more than max(64 MiB, 100 x the
    file) would come out, so it is refused before it is inflated whole."""
    bomb = write(tmp_path, "bomb.txt.gz", gzip.compress(b"\0" * (128 << 20), compresslevel=9))
    assert len(bomb.read_bytes()) * 100 < (64 << 20)
    res = run([proftui, "--open", bomb, "-o", tmp_path / "out.txt"])
    line = assert_error_line(res, EXIT_INPUT, None)
    assert "gzip bomb" in line or "refused" in line, res.describe()


@pytest.mark.parametrize("name,data", [
    ("stats.prof", b"\xfb)\x03\xda\x08<string>"),
    ("flame.svg", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>\n'),
])
def test_formats_without_stacks(proftui, tmp_path, name, data):
    """Another tool's pstats file (cProfile's) holds no stacks, nor does an
    SVG without proftui's embedded profile (another tool's flame graph):
    one line that says so, usage status."""
    res = run([proftui, "--open", write(tmp_path, name, data)])
    line = assert_error_line(res, EXIT["EXIT_USAGE"], None)
    assert "not stacks" in line, res.describe()


def test_cprofile_file_is_refused(proftui, tmp_path):
    """A real cProfile dump (Python's own writer) is refused as holding no
    stacks, and Python's pstats reads proftui's file (dictionary and the
    profile after it) as it reads cProfile's."""
    out = tmp_path / "cprof.prof"
    r = subprocess.run([SYSTEM_PYTHON, "-c", "import cProfile; cProfile.run('sum(range(9))', %r)"
                        % str(out)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and out.exists(), r.stderr
    res = run([proftui, "--open", out, "-o", tmp_path / "x.txt"])
    line = assert_error_line(res, EXIT["EXIT_USAGE"], None)
    assert "not stacks" in line, res.describe()
    assert not (tmp_path / "x.txt").exists()


def test_pstats_cut_in_its_profile(proftui, saved, tmp_path):
    """proftui's pstats file cut inside the profile after its dictionary
    (or with bytes added after it) is a malformed file: one line, input
    status, no output."""
    data = saved["pstats"].read_bytes()
    mark = data.index(b"\n#proftui-profile pprof ")
    for name, bad in (("cut.prof", data[:len(data) - 10]), ("more.prof", data + b"x"),
                      ("nolen.prof", data[:mark + 25])):
        res = run([proftui, "--open", write(tmp_path, name, bad), "-o", tmp_path / "x.txt"])
        line = assert_error_line(res, EXIT_INPUT, None)
        assert name in line and "cut short" in line, res.describe()
        assert not (tmp_path / "x.txt").exists()


def test_missing_file(proftui, tmp_path):
    res = run([proftui, "--open", tmp_path / "nope.txt"])
    line = assert_error_line(res, EXIT_INPUT, None)
    assert "nope.txt" in line and "No such file" in line, res.describe()


def test_open_needs_a_terminal_without_o(proftui, saved):
    res = run([proftui, "--open", saved["collapsed"]])
    assert_error_line(res, EXIT["EXIT_TERMINAL"], None)


def test_svg_cut_before_its_profile_ends(proftui, saved, tmp_path):
    """An SVG whose embedded profile is cut off (a partial download) is a
    malformed file, not a shorter profile."""
    if "svg" not in saved:
        pytest.skip("the svg writer is not in this build yet")
    text = saved["svg"].read_bytes()
    cut = text[:text.index(b"]]></metadata>") - 10]
    res = run([proftui, "--open", write(tmp_path, "cut.svg", cut), "-o", tmp_path / "x.txt"])
    assert_error_line(res, EXIT["EXIT_USAGE"], None)
    assert not (tmp_path / "x.txt").exists()


def test_hostile_names_survive_the_svg(proftui, tmp_path):
    """Names holding CDATA's end marker ']]>' and U+FFFE (not allowed in
    XML) survive collapsed -> svg -> collapsed as the collapsed writer
    wrote them (U+FFFE as '?'), and the SVG stays well-formed XML."""
    import xml.etree.ElementTree as ET
    raw = "T7 a]]>b;f]]]]>x (a]]>.py:3);\ufffeg (y.py:1) 4\n".encode()
    first = convert(proftui, write(tmp_path, "h.txt", raw), tmp_path / "a.txt")
    convert(proftui, tmp_path / "a.txt", tmp_path / "a.svg")
    ET.parse(tmp_path / "a.svg")
    back = convert(proftui, tmp_path / "a.svg", tmp_path / "b.txt")
    assert back == first.replace("\ufffe", "?"), (first, back)
    assert "]]>" in back


def test_hostile_names_survive_the_round_trip(proftui, tmp_path):
    """Names with every character the writer escapes come back as the
    writer wrote them: a second round trip changes nothing."""
    raw = ("P1;T7 we;ird\u2028name;f\tn (a b (c).py:3);g (x.py:?);[truncated] 4\n"
           "P1;T7 we;ird;h\x7f (y.py:1) 2\n").encode()
    first = convert(proftui, write(tmp_path, "h.txt", raw), tmp_path / "a.txt")
    assert convert(proftui, tmp_path / "a.txt", tmp_path / "b.txt") == first
    assert "\t" not in first and "\x7f" not in first and "\u2028" not in first


FAILED_PROFILE = """# proftui: 0.1.0
# python: 3.12.1
# mode: cpu
# interval: 500us
# duration: 2.500s
# samples: 5000 rounds
# missed: 3 rounds
# lost: 1 rounds
# failed: 3 stacks (torn 2, cycle 0, corrupt 0, read 1)
# recorded: 61 stacks
# pid: 321 (launched)
# command: "python3 app.py 10"
# thread: 321 (pid 321) "MainThread" 43 samples, 3 failed (torn 2, cycle 0, corrupt 0, read 1)
# thread: 322 (pid 321) "worker (1)" 18 samples, 0 failed (torn 0, cycle 0, corrupt 0, read 0)
# state: P321 T321 cpu 40, gil 38, wait 0, idle 3 of 43 samples
# state: P321 T322 cpu 17, gil 1, wait 2, idle 1 of 18 samples
P321 python3 app.py 10;T321 MainThread;<module> (app.py:30);main (app.py:22);work (app.py:10) 40
P321 python3 app.py 10;T321 MainThread;[unreadable] 3
P321 python3 app.py 10;T322 worker (1);[no Python frame] 1
P321 python3 app.py 10;T322 worker (1);[truncated];deep (app.py:5) 17
"""


@pytest.mark.parametrize("fmt", ["collapsed", "speedscope", "pprof"])
def test_failures_and_markers_survive_every_format(proftui, tmp_path, fmt):
    """A profile with failed stacks (by reason), a stack without a Python
    frame and a truncated one, its threads' states and its process's name,
    converted to FMT and opened again, gives the same collapsed file
    (speedscope: its frames have no executing line)."""
    src = tmp_path / "src.txt"
    src.write_text(FAILED_PROFILE)
    mid = tmp_path / {"collapsed": "mid.txt", "speedscope": "mid.json", "pprof": "mid.pb.gz"}[fmt]
    res = run([proftui, "--open", src, "-o", mid])
    if res.returncode == EXIT["EXIT_USAGE"] and "not in this build yet" in res.stderr:
        pytest.skip(f"the {fmt} writer is not in this build yet")
    assert res.returncode == 0, res.describe()
    back = convert(proftui, mid, tmp_path / "back.txt")
    expect = FAILED_PROFILE
    if fmt == "speedscope":
        expect = re.sub(r"\((app\.py):\d+\)", r"(\1:?)", expect)
    assert back == expect


def test_diff_table(proftui, tmp_path):
    """--open NOW --diff BASE -o OUT: each function's share of all samples
    in both, the change, new and gone marked, sorted by the change;
    functions matched by name and file (not by line)."""
    res = run([proftui, "--open", DATA / "pyspy-raw.txt", "--diff", DATA / "cpython-collapsed.txt",
               "-o", tmp_path / "d.txt"])
    assert res.returncode == 0, res.describe()
    text = (tmp_path / "d.txt").read_text()
    head = text.splitlines()[0]
    assert "pyspy-raw.txt (100 samples)" in head and "cpython-collapsed.txt (50 samples)" in head, text
    rows = {}
    order = []
    for line in text.splitlines()[3:]:
        cols = line.split(None, 7)
        rows[cols[7]] = (float(cols[0]), float(cols[1]), float(cols[2]), cols[6])
        order.append(abs(float(cols[2])))
    assert rows["work (app.py)"] == (60.0, 60.0, 0.0, "-")          # line 10 in both
    assert rows["spin (app.py)"] == (20.0, 30.0, -10.0, "-")
    assert rows["main (app.py)"] == (80.0, 70.0, 10.0, "-")         # lines 22 and 23 now: one function
    assert rows["sleep (<built-in>)"] == (20.0, 0.0, 20.0, "new")
    assert rows["<GC> ()"] == (0.0, 10.0, -10.0, "gone")
    assert order == sorted(order, reverse=True)


def test_diff_of_a_live_run(proftui, saved, tmp_path):
    """-o OUT --diff BASELINE with a run: the run's shares against a saved
    run of the same program (hot.py's shares hold: small changes), and
    against an unrelated profile (everything new or gone)."""
    out = tmp_path / "d.txt"
    res = run([proftui, "-d", "1", "--diff", saved["collapsed"], "-o", out, "--", SYSTEM_PYTHON, HOT])
    assert out.exists(), res.describe()
    text = out.read_text()
    assert "hot.py" in text.splitlines()[0] and str(saved["collapsed"]) in text.splitlines()[0], text
    rows = {line.split(None, 7)[7]: line.split(None, 7) for line in text.splitlines()[3:]}
    hottest = next(v for k, v in rows.items() if k.startswith("hottest ("))
    assert hottest[6] == "-" and abs(float(hottest[2])) < 15, text
    res = run([proftui, "-d", "0.5", "--diff", DATA / "flamegraph.txt", "-o", out, "--", SYSTEM_PYTHON, HOT])
    assert out.exists(), res.describe()
    status = {line.split(None, 7)[7]: line.split(None, 7)[6] for line in out.read_text().splitlines()[3:]}
    assert status["main ()"] == "gone" and status["tokenize ()"] == "gone"
    assert all(v == "new" for k, v in status.items() if "hot.py" in k), status


def test_diff_with_a_bad_baseline_fails_before_running(proftui, tmp_path):
    bad = write(tmp_path, "bad.txt", b"main;x\xff 3\n")
    marker = tmp_path / "ran"
    res = run([proftui, "--diff", bad, "-o", tmp_path / "d.txt", "--", SYSTEM_PYTHON, "-c",
               f"open({str(marker)!r}, 'w').close()"])
    line = assert_error_line(res, EXIT_INPUT, None)
    assert "bad.txt" in line and "invalid UTF-8" in line, res.describe()
    assert not marker.exists()


@pytest.mark.parametrize("args", [
    ["--open", "{base}", "--diff", "{base}", "-o", "a", "-o", "b"],
    ["--open", "{base}", "--diff", "{base}", "-o", "a", "-f", "collapsed"],
    ["--diff", "{base}", "--tui", "-o", "a", "--", "true"],
])
def test_diff_bad_combinations(proftui, tmp_path, args):
    """(The live view's comparison: test_diff_view.py.)"""
    base = DATA / "flamegraph.txt"
    res = run([proftui, *[a.format(base=base) for a in args]])
    line = assert_error_line(res, EXIT["EXIT_USAGE"], None)
    assert "--diff" in line and "one -o OUT" in line, res.describe()


@pytest.mark.parametrize("name", ["d.json", "d.pb.gz", "d.svg", "d.prof"])
def test_diff_table_is_not_written_under_a_format_name(proftui, tmp_path, name):
    """--diff writes a text table: a name whose ending asks for another
    format is refused before anything is read or written."""
    base = DATA / "flamegraph.txt"
    res = run([proftui, "--open", base, "--diff", base, "-o", tmp_path / name])
    line = assert_error_line(res, EXIT["EXIT_USAGE"], None)
    assert "--diff" in line and ".txt" in line, res.describe()
    assert not (tmp_path / name).exists()


def test_open_standard_input(proftui, tmp_path):
    """--open - reads a pipe (for a conversion: the live view needs the
    terminal on standard input)."""
    data = (DATA / "flamegraph.txt").read_bytes()
    res = subprocess.run([proftui, "--open", "-", "-o", tmp_path / "out.txt"], input=data,
                         capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert stack_lines((tmp_path / "out.txt").read_text())[0].endswith(";main (:?);parse (:?) 3")


@pytest.mark.parametrize("text", [
    "main;foo 10\nmain;bar 5\n",
    "main;foo 10 \nmain;bar 5\t\n",         # blanks after the count (hand-edited, joined files)
    "main;foo\t10\nmain;bar\t5\n",          # a tab before the count, as flamegraph.pl allows
    "main;foo  10\r\nmain;bar \t 5\r\n",    # several blanks, CRLF
])
def test_collapsed_blanks_around_the_count(proftui, tmp_path, text):
    """flamegraph.pl splits a line at the last run of blanks: the same
    stacks whatever blanks a tool or an editor left (found by QA: a
    trailing space or a tab gave exit status 10)."""
    got = convert(proftui, write(tmp_path, "fg.txt", text.encode()), tmp_path / "out.txt")
    stacks = {line.rsplit(" ", 1)[0]: line.rsplit(" ", 1)[1]
              for line in got.splitlines() if line and not line.startswith("#")}
    assert stacks == {"P0;T0;main (:?);foo (:?)": "10", "P0;T0;main (:?);bar (:?)": "5"}, got


def test_pty_open_without_interval_shows_no_times(live):
    """A flamegraph.pl file knows no interval: the time columns say '-',
    not a time of 0 (found by QA), and the source view of a frame without
    a file says so without an empty path ('Source not shown: : ...')."""
    view = live("--open", DATA / "flamegraph.txt", cwd=UI_WORKLOADS)
    view.wait_for(lambda: " render" in view.text(), "the rows of the table")   # rows() parses times
    line = next(l for l in view.display() if re.search(r" render\s*$", l))
    cells = line.split()
    assert cells[:4] == ["0", "10", "-", "-"], view.describe()      # OWN TOTAL OWN-TIME TOT-TIME
    view.send(b"v")
    view.wait_for(lambda: "Source not shown" in view.text(), "the source view")
    assert "Source not shown: :" not in view.text(), view.describe()
    view.send(b"q")
    assert view.wait_exit() == 0
