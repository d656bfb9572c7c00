# SPDX-License-Identifier: MIT
"""The speedscope format (include/speedscope.h), read by its real clients:
speedscope's published JSON schema (ajv) and speedscope's own page in
headless Chromium (playwright-core), each file compared with the collapsed
output of the same run (`-o x.txt -o x.json`).

The writer reads the table, not the target, so these tests run on two
interpreters only: the system python and Debian's static 3.15 (narrowed by
PROFTUI_PYTHONS as the other tests are; a missing one is a skipped test
with the reason). Also the helpers the pstats tests share."""

import json
import os
import re
import shutil
import signal
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

import clients
from harness import (HERE, Profile, Share, format_problems, marker_line, missing_interpreters,
                     run, selected_interpreters, shares, supported_interpreters)
from hostile import header_constant

UI_WORKLOADS = HERE / "workloads_ui"
HOSTILE = HERE / "workloads_hostile"
CALLS = UI_WORKLOADS / "calls.py"
FORMAT_PYTHONS = ("system", "debian-3.15-static")
ENDED = (0, 128 + signal.SIGINT, 128 + signal.SIGTERM)   # -d ends a launched command
TOP = ("main", "alpha", "beta", "burn")
SCHEMA = "https://www.speedscope.app/file-format-schema.json"


# ---------------------------------------------------------------- shared with test_format_pstats

def format_interpreter_params() -> list:
    """The system python and Debian's static 3.15, as pytest params; a
    missing or unselected one is a skipped param with the reason."""
    params = []
    selected = selected_interpreters()
    for ident in FORMAT_PYTHONS:
        found = [i for i in selected if i.kind == ident or i.id == ident]
        if found:
            params.append(pytest.param(found[0], id=ident))
            continue
        missing = [e for e in missing_interpreters() if e.id == ident]
        if missing:
            reason = f"{ident}: {missing[0].reason}"
        elif any(i.kind == ident or i.id == ident for i in supported_interpreters()):
            reason = f"{ident} is not selected by PROFTUI_PYTHONS"
        else:
            reason = f"{ident} is not on this machine"
        params.append(pytest.param(None, id=ident, marks=pytest.mark.skip(reason=reason)))
    return params


def record(proftui, interp, script: Path, outs: List[Path], seconds: float = 3.0,
           args=(), opts=()) -> None:
    """proftui -d SECONDS -o OUT... -- PYTHON SCRIPT ARGS: one run, every
    output from the same table."""
    cmd = [proftui, "-d", seconds, *opts]
    for out in outs:
        cmd += ["-o", out]
    res = run([*cmd, "--", interp.path, script, *args], timeout=seconds + 60)
    assert res.returncode in ENDED, res.describe()
    for out in outs:
        assert out.exists(), f"{out} not written\n{res.describe()}"


def collapsed_shares(p: Profile, tid: int = None) -> Dict[str, Share]:
    return shares([s for s in p.stacks if tid is None or s.tid == tid])


def assert_shares_match(got: Dict[str, Tuple[float, float]], want: Dict[str, Share], names,
                        what: str) -> None:
    """(own, total) shares of each name within 1 percentage point."""
    for name in names:
        assert name in got, f"{what}: no {name!r} (has {sorted(got)[:20]})"
        own, total = got[name]
        assert abs(own - want[name].own) <= 0.01, \
            f"{what}: {name} own {own:.4f}, collapsed {want[name].own:.4f}"
        assert abs(total - want[name].total) <= 0.01, \
            f"{what}: {name} total {total:.4f}, collapsed {want[name].total:.4f}"


def def_line(script: Path, name: str) -> int:
    lines = script.read_text().splitlines()
    hits = [n for n, text in enumerate(lines, 1) if re.match(rf"\s*def {re.escape(name)}\(", text)]
    assert len(hits) == 1, f"def {name} found {len(hits)} times in {script}"
    return hits[0]


# ---------------------------------------------------------------- speedscope files

def speedscope_shares(profile: dict, frames: List[dict]) -> Dict[str, Tuple[float, float]]:
    """(own, total) share of each frame name in one profile, from its
    weights (a name counts once per sample, as speedscope counts it)."""
    own: Dict[str, float] = {}
    total: Dict[str, float] = {}
    end = profile["endValue"] - profile["startValue"]
    for stack, weight in zip(profile["samples"], profile["weights"]):
        names = [frames[i]["name"] for i in stack]
        own[names[-1]] = own.get(names[-1], 0) + weight
        for name in set(names):
            total[name] = total.get(name, 0) + weight
    return {n: (own.get(n, 0) / end, total[n] / end) for n in total}


def load_json(path: Path) -> dict:
    return json.loads(path.read_bytes().decode("utf-8"))     # strict UTF-8


def validate(path: Path) -> None:
    """speedscope's schema, with ajv (draft-07, as the schema says)."""
    schema = clients.node_modules("speedscope") / "dist" / "release" / "file-format-schema.json"
    script = """
import Ajv from "ajv";
import fs from "fs";
const ajv = new Ajv({allErrors: true, strict: false});
const validate = ajv.compile(JSON.parse(fs.readFileSync(process.argv[2], "utf8")));
const data = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
if (validate(data)) console.log("valid");
else { console.log(JSON.stringify(validate.errors.slice(0, 10))); process.exit(1); }
"""
    res = clients.run_node(script, str(schema), str(path))
    assert res.returncode == 0 and res.stdout.strip() == "valid", \
        f"not valid against speedscope's schema:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"


PAGE_SCRIPT = """
import { chromium } from "playwright-core";
const [url, executablePath, args] = [process.argv[2], process.argv[3], JSON.parse(process.argv[4])];
const browser = await chromium.launch({executablePath, args});
const errors = [];
try {
  const page = await browser.newPage({viewport: {width: 1600, height: 1000}});
  page.on("pageerror", e => errors.push(e.message));
  await page.goto(url);
  let title = "";
  try {
    await page.waitForFunction(() => document.title.endsWith(" - speedscope")
                               && document.body.innerText.includes("Symbol Name"),
                               null, {timeout: 60000, polling: 100});
    title = await page.title();
  } catch (e) { errors.push("not loaded: " + e.message); }
  const text = await page.evaluate(() => document.body.innerText);
  console.log(JSON.stringify({title, errors, text}));
} finally { await browser.close(); }
"""

# A row of the sandwich table as innerText has it: "total (share)\n\tself (share)\n\tname",
# a time being "1.23s", "45.00ms", ... or "m:ss", a share "12%", "<0.01%" or ">99%".
ROW_RE = re.compile(r"^\s*([\d.:]+)\s*(ns|µs|ms|s)?\s*\(([<>\d.]+)%\)\s*\n\s*([\d.:]+)\s*(ns|µs|ms|s)?"
                    r"\s*\(([<>\d.]+)%\)\s*\n\s*(.+)$", re.M)
UNIT_NS = {"ns": 1, "µs": 1e3, "ms": 1e6, "s": 1e9}


def page_time_ns(value: str, unit: str) -> float:
    if ":" in value:                                   # m:ss, a minute or more
        minutes, seconds = value.split(":")
        return (int(minutes) * 60 + int(seconds)) * 1e9
    return float(value) * UNIT_NS[unit]


def open_in_speedscope(tmp_path: Path, profile: Path) -> dict:
    """Load `profile` in speedscope's own page (served with the file by a
    local HTTP server, #profileURL=...&view=sandwich) in headless Chromium:
    {"title", "errors", "rows": {name: (total ns, self ns)} of the sandwich
    table, "text"}."""
    release = clients.node_modules("speedscope") / "dist" / "release"
    chromium = clients.chromium()
    clients.node_modules("playwright-core")
    www = tmp_path / "www"
    shutil.copytree(release, www)
    shutil.copy(profile, www / "profile.json")
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 partial(_QuietHandler, directory=str(www)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        url = f"{base}/index.html#profileURL={base}/profile.json&view=sandwich"
        res = clients.run_node(PAGE_SCRIPT, url, chromium, json.dumps(clients.CHROMIUM_ARGS),
                               timeout=150)
    finally:
        server.shutdown()
        server.server_close()
    assert res.returncode == 0, f"playwright failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    page = json.loads(res.stdout.strip().splitlines()[-1])
    rows: Dict[str, Tuple[float, float]] = {}
    for m in ROW_RE.finditer(page["text"].split("Symbol Name", 1)[-1]):
        row = (page_time_ns(m[1], m[2]), page_time_ns(m[4], m[5]))
        name = m[7].strip()
        if name not in rows or row[0] > rows[name][0]:     # of equal names, the busiest
            rows[name] = row
    page["rows"] = rows
    page["rows_parsed"] = len(ROW_RE.findall(page["text"]))
    return page


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


# ---------------------------------------------------------------- tests

@pytest.fixture(params=format_interpreter_params())
def finterp(request):
    return request.param


_calls_runs: Dict[str, Tuple[Profile, Path]] = {}


@pytest.fixture
def calls_run(proftui, finterp, tmp_path_factory):
    """calls.py for 3 s: the collapsed file and the speedscope file of one
    run, made once per interpreter for the tests that read it."""
    if finterp.id not in _calls_runs:
        tmp = tmp_path_factory.mktemp(f"speedscope-{finterp.id}-calls")
        txt, js = tmp / "calls.txt", tmp / "calls.json"
        record(proftui, finterp, CALLS, [txt, js])
        _calls_runs[finterp.id] = (Profile.load(txt), js)
    return _calls_runs[finterp.id]


def test_valid_against_schema_and_same_profile(calls_run):
    """The file is valid against speedscope's schema, and holds the run's
    profile: one sampled profile per thread named "<name> (tid N)",
    weights of samples x interval in nanoseconds, frames per function with
    file and first line, the metadata of the collapsed output, and the
    shares of the top functions of the collapsed output within 1 pp."""
    p, js = calls_run
    assert not format_problems(p.text), format_problems(p.text)[:5]
    validate(js)
    d = load_json(js)
    assert d["$schema"] == SCHEMA and d["exporter"].startswith("proftui ")
    assert d["exporter"] == f"proftui {p.meta['proftui']}"
    assert d["name"] == json.loads(p.meta["command"])
    m = d["proftui"]
    assert m["pid"] == int(p.meta["pid"].split()[0]) and m["mode"] == p.meta["mode"]
    assert m["interval_ns"] == 1_000_000 and p.meta["interval"] == "1000us"
    assert m["rounds"]["taken"] == p.meta_count("samples")
    assert m["recorded"] == sum(s.count for s in p.stacks)
    threads = p.thread_meta()
    assert [t["tid"] for t in m["threads"]] == sorted(threads)
    assert len(d["profiles"]) == len(threads)
    frames = d["shared"]["frames"]
    for prof, t in zip(d["profiles"], m["threads"]):
        assert t["name"] == threads[t["tid"]].name and t["samples"] == threads[t["tid"]].samples
        assert prof["type"] == "sampled" and prof["unit"] == "nanoseconds"
        assert prof["name"] == f"{t['name']} (tid {t['tid']})"
        assert prof["startValue"] == 0 and prof["endValue"] == sum(prof["weights"])
        assert prof["endValue"] == t["samples"] * m["interval_ns"]
        assert len({tuple(s) for s in prof["samples"]}) == len(prof["samples"]), \
            "a stack appears twice"
        got = speedscope_shares(prof, frames)
        want = collapsed_shares(p, t["tid"])
        top = sorted(want, key=lambda n: -want[n].total)[:8]
        assert_shares_match(got, want, set(top) | set(TOP), f"thread {t['tid']}")
    by_name = {f["name"]: f for f in frames if f.get("file") == str(CALLS)}
    for name in TOP:
        assert by_name[name]["line"] == def_line(CALLS, name), by_name[name]
    assert len({(f["name"], f.get("file"), f.get("line")) for f in frames}) == len(frames)


def test_loads_in_speedscope(calls_run, tmp_path):
    """speedscope's own page imports the file: the title becomes the
    profile's name, no error, and its sandwich table shows burn, alpha,
    beta and main with the collapsed output's shares (within 1 pp)."""
    p, js = calls_run
    d = load_json(js)
    page = open_in_speedscope(tmp_path, js)
    assert not page["errors"], page["errors"]
    assert page["title"] == f"{d['name']} - speedscope", page["title"]
    assert "Something went wrong" not in page["text"]
    active = d["profiles"][d["activeProfileIndex"]]
    assert active["name"] in page["text"]
    tid = int(re.search(r"\(tid (\d+)\)$", active["name"])[1])
    end = active["endValue"]
    assert page["rows_parsed"] >= 4, page["text"][:3000]
    got = {n: (self_ns / end, total_ns / end) for n, (total_ns, self_ns) in page["rows"].items()}
    assert_shares_match(got, collapsed_shares(p, tid), TOP, "speedscope's sandwich table")


def test_threads_each_a_profile(proftui, finterp, tmp_path):
    """Three named threads: three profiles, each with the functions only
    its thread runs, and the busiest one active."""
    txt, js = tmp_path / "t.txt", tmp_path / "t.json"
    record(proftui, finterp, UI_WORKLOADS / "threads.py", [txt, js], seconds=2)
    validate(js)
    d, p = load_json(js), Profile.load(txt)
    names = {prof["name"].rsplit(" (tid", 1)[0]: prof for prof in d["profiles"]}
    frames = d["shared"]["frames"]
    expect = {"MainThread": "main_thread_work", "ui-worker": "worker_thread_work",
              "ui-sleeper": "sleeper_thread_wait"}
    for thread, func in expect.items():
        assert thread in names, sorted(names)
        stacks = {frames[i]["name"] for s in names[thread]["samples"] for i in s}
        assert func in stacks and not (set(expect.values()) - {func}) & stacks, (thread, stacks)
    counts = {prof["name"]: prof["endValue"] for prof in d["profiles"]}
    assert d["profiles"][d["activeProfileIndex"]]["endValue"] == max(counts.values())
    assert len(d["profiles"]) == len(p.thread_meta())


def test_hostile_names(proftui, finterp, tmp_path):
    """Names 10,000 characters long, Cyrillic, CJK, emoji, with ';', quotes
    and newlines in functions, files and a thread name: the file is strict
    UTF-8 JSON valid against the schema, each name comes back as the target
    had it (cut like the collapsed output cuts it), and speedscope loads it."""
    info, txt, js = tmp_path / "info.json", tmp_path / "h.txt", tmp_path / "h.json"
    record(proftui, finterp, HOSTILE / "hostile_names.py", [txt, js], seconds=1.5,
           args=(info, 1.5))
    validate(js)
    d = load_json(js)
    facts = json.loads(info.read_text())
    limit = header_constant("pystr.h", "PYSTR_MAX")
    frames = {(f["name"], f.get("file")) for f in d["shared"]["frames"]}
    for key, (name, file) in facts["funcs"].items():
        want = (cut(name, limit), cut(file, limit))
        assert want in frames, f"{key}: no frame {want[0][:80]!r} ({want[1][:80]!r})"
    tid, tname = facts["thread"]
    assert f"{tname} (tid {tid})" in [prof["name"] for prof in d["profiles"]]
    page = open_in_speedscope(tmp_path, js)
    assert not page["errors"] and page["title"].endswith(" - speedscope"), page["errors"]
    assert "Something went wrong" not in page["text"]


def cut(text: str, limit: int) -> str:
    """A name as proftui reads it (pystr_read cuts long ones with "...")."""
    if len(text.encode()) > limit - 1:
        while len(text.encode()) + 4 > limit:
            text = text[:-1]
        text += "..."
    return text
