# SPDX-License-Identifier: MIT
"""SVG flame graph output (-o x.svg) rendered by its real client, headless
Chromium (Debian's chromium, driven by playwright-core): the workload's
frames are there with the widths of the collapsed output of the same run
(-o x.txt -o x.svg, within 1 pp of all samples), main's children alpha and
beta in their 60:30 ratio, a click on alpha zooms it to the full width and
"Reset zoom" undoes it, search highlights exactly the matching frames and
shows their share; the file is well-formed XML (Python's xml.etree), also
with hostile names, which Chromium renders without a script error.

The writer reads the profile's table, not the target, so these tests run
on the system Python and Debian's 3.15 (static) only, as PROFTUI_PYTHONS
allows."""

import json
import signal
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List

import pytest

import clients
from harness import Profile, run, selected_interpreters
from hostile import HOSTILE
from test_format_pprof import format_interpreters, record

SVG_NS = "{http://www.w3.org/2000/svg}"
WIDTH = 1200

# Loads the SVG, reads every frame (name from its tooltip, first sample,
# samples, depth, rendered box, fill, label), clicks the frame named
# argv[4], reads them again, clicks "Reset zoom", searches argv[5] through
# the page's own prompt and reads them and the matched share again.
BROWSE = r'''
import { chromium } from "playwright-core";
const [file, exe, args, target, term] = process.argv.slice(2);
const browser = await chromium.launch({executablePath: exe, args: JSON.parse(args)});
try {
  const page = await browser.newPage({viewport: {width: 1300, height: 1000}});
  const errors = [];
  page.on("pageerror", e => errors.push(String(e)));
  page.on("dialog", d => d.accept(term));
  await page.goto("file://" + file);
  const frames = () => page.evaluate(() => [...document.querySelectorAll("g.f")].map(g => {
    const r = g.querySelector("rect"), box = r.getBoundingClientRect();
    return {name: g.querySelector("title").textContent.split("\n")[0],
            title: g.querySelector("title").textContent,
            s: +g.getAttribute("data-s"), n: +g.getAttribute("data-n"),
            d: +g.getAttribute("data-d"), x: box.x, w: box.width,
            shown: getComputedStyle(g).display !== "none", fill: r.getAttribute("fill"),
            label: g.querySelector("text").textContent};
  }));
  const out = {errors};
  out.initial = await frames();
  const i = out.initial.findIndex(f => f.name === target);
  if (i >= 0) {
    await page.locator("g.f").nth(i).locator("rect").click();
    out.zoomed = await frames();
    out.unzoom_shown = await page.locator("#unzoom").isVisible();
    await page.locator("#unzoom").click();
    out.reset = await frames();
  }
  await page.locator("#search").click();
  out.searched = await frames();
  out.matched = await page.locator("#matched").textContent();
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
}
'''


def browse(svg: Path, target: str, term: str) -> dict:
    exe = clients.chromium()
    clients.node_modules("playwright-core")
    res = clients.run_node(BROWSE, str(svg), exe, json.dumps(clients.CHROMIUM_ARGS), target, term,
                           timeout=180)
    assert res.returncode == 0, f"node: {res.returncode}\n{res.stderr[-3000:]}"
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["errors"] == [], out["errors"]
    return out


def xml_frames(svg: Path) -> List[dict]:
    """The frames of the file, read as XML (which must be well-formed)."""
    root = ET.parse(svg).getroot()
    assert root.tag == SVG_NS + "svg"
    frames = []
    for g in root.iter(SVG_NS + "g"):
        if g.get("class") != "f":
            continue
        title = g.find(SVG_NS + "title").text or ""
        frames.append({"name": title.split("\n")[0], "title": title, "s": int(g.get("data-s")),
                       "n": int(g.get("data-n")), "d": int(g.get("data-d"))})
    return frames


def children(frames: List[dict], parent: dict) -> Dict[str, dict]:
    return {f["name"]: f for f in frames if f["d"] == parent["d"] + 1
            and parent["s"] <= f["s"] and f["s"] + f["n"] <= parent["s"] + parent["n"]}


def one(frames: List[dict], name: str) -> dict:
    """The one frame `name` of the workload (its file is workload.py:LINE), or
    the one frame of that name."""
    found = [f for f in frames if f["name"] == name]
    if len(found) > 1:
        found = [f for f in found if "workload.py:" in f["title"].split("\n")[1]]
    assert len(found) == 1, (name, found[:3])
    return found[0]


def collapsed_share(p: Profile, *path: str) -> float:
    """% of all samples whose stack has the frames `path` in a row."""
    total = sum(s.count for s in p.stacks)
    hit = 0
    for s in p.stacks:
        names = s.names()
        if any(tuple(names[i:i + len(path)]) == path for i in range(len(names))):
            hit += s.count
    return 100.0 * hit / total


@pytest.mark.parametrize("finterp", format_interpreters())
def test_svg_in_chromium(proftui, finterp, tmp_path):
    record(proftui, finterp, tmp_path, "x.txt", "x.svg", seconds=3.0)
    p = Profile.load(tmp_path / "x.txt")
    total = sum(s.count for s in p.stacks)
    frames = xml_frames(tmp_path / "x.svg")
    out = browse(tmp_path / "x.svg", "alpha", "^alpha$")
    shown = out["initial"]
    assert [f["name"] for f in shown] == [f["name"] for f in frames]
    names = {f["name"] for f in shown}
    threads = p.thread_meta()
    for t in threads.values():
        assert f"{t.name} (tid {t.tid})" in names, (t, sorted(names)[:20])
    for name in ("alpha", "beta", "gamma", "spin", "main", "worker"):
        assert name in names, (name, sorted(names)[:40])
    root = one(shown, "all")
    assert root["n"] == total and abs(root["w"] - WIDTH) < 0.5, root
    main = one(shown, "main")
    kids = children(shown, main)
    widths = {k: 100.0 * kids[k]["w"] / root["w"] for k in ("alpha", "beta", "spin")}
    for k, w in widths.items():
        want = collapsed_share(p, "main", k)
        assert abs(w - want) <= 1.0, (k, w, want)
    main_w = 100.0 * main["w"] / root["w"]
    # the workload's 60:30:10 split of main, in CPU time: against the truth,
    # so sampling noise is allowed (the exact check is the one above)
    assert abs(widths["alpha"] / main_w - 0.6) <= 0.05, (widths, main_w)
    assert abs(widths["beta"] / main_w - 0.3) <= 0.05, (widths, main_w)
    title = kids["alpha"]["title"].split("\n")
    assert title[2] == f"{kids['alpha']['n']} samples, {100.0 * kids['alpha']['n'] / total:.2f}%"

    # a click on alpha: alpha full width, its ancestors too, beta hidden, spin above it
    z = {(f["name"], f["d"]): f for f in out["zoomed"]}
    alpha = z[("alpha", kids["alpha"]["d"])]
    assert abs(alpha["w"] - root["w"]) < 0.5 and alpha["shown"], alpha
    assert z[("main", main["d"])]["shown"] and abs(z[("main", main["d"])]["w"] - root["w"]) < 0.5
    assert not z[("beta", kids["beta"]["d"])]["shown"]
    assert not any(f["shown"] for f in out["zoomed"] if f["name"] == "gamma")
    spin = z[("spin", alpha["d"] + 1)]
    assert spin["shown"] and abs(spin["w"] / alpha["w"] - spin["n"] / alpha["n"]) < 0.002, spin
    assert out["unzoom_shown"]
    assert [(f["x"], f["w"], f["shown"]) for f in out["reset"]] == \
        [(f["x"], f["w"], f["shown"]) for f in shown], "Reset zoom restores the first view"

    # search: exactly the frames named alpha highlighted, their share shown
    hits = [f for f in out["searched"] if f["fill"] == "rgb(230,0,230)"]
    assert hits and all(f["name"] == "alpha" for f in hits), [f["name"] for f in hits][:10]
    assert len(hits) == sum(f["name"] == "alpha" for f in frames)
    want = collapsed_share(p, "alpha")
    assert out["matched"].startswith("Matched: ") and out["matched"].endswith("%"), out["matched"]
    assert abs(float(out["matched"][9:-1]) - want) <= 1.0, (out["matched"], want)


def test_svg_hostile_names(proftui, tmp_path):
    """Names 10,000 characters long, Cyrillic, CJK, emoji, with ';', '<',
    '&', spaces and newlines, in functions, files and a thread name: the
    file is well-formed XML, each name reads back as the collapsed output
    has it (there ';' becomes ':'), and Chromium renders exactly those
    frames, without a script error."""
    interp = next((i for i in selected_interpreters() if i.kind == "system"), None)
    if interp is None:
        pytest.skip("the system Python is not selected")
    info = tmp_path / "info.json"
    res = run([proftui, "-o", tmp_path / "x.txt", "-o", tmp_path / "x.svg", "--", interp.path,
               HOSTILE / "hostile_names.py", info, 1.5], timeout=60)
    assert res.returncode == 0, res.describe()
    p = Profile.load(tmp_path / "x.txt")
    frames = xml_frames(tmp_path / "x.svg")
    for f in frames:
        assert not any(ord(c) < 0x20 and c != "\n" for c in f["title"]), repr(f["title"][:100])
    total = sum(s.count for s in p.stacks)
    names = {f["name"].replace(";", ":") for f in frames}
    wide = {fr.name for s in p.stacks for fr in s.frames
            if s.count * WIDTH >= total}          # at least a pixel wide on their own
    assert wide and wide <= names, sorted(wide - names)[:5]
    tid = json.loads(info.read_text())["thread"][0]
    label = p.threads()[tid]
    assert f"{label} (tid {tid})" in names, (label, sorted(names)[:10])
    out = browse(tmp_path / "x.svg", "", "name with spaces")
    assert [f["name"] for f in out["initial"]] == [f["name"] for f in frames]
    hits = [f["name"] for f in out["searched"] if f["fill"] == "rgb(230,0,230)"]
    assert hits and all("name with spaces" in h for h in hits), hits[:5]


def test_svg_header_of_a_profile_without_metadata(proftui, tmp_path):
    """A flamegraph.pl file knows no interval, duration or pid: the header
    says the interval is unknown instead of '0us interval, 0.000s ... pid 0
    (attached)' (found by QA)."""
    src = tmp_path / "fg.txt"
    src.write_text("main;foo 10\nmain;bar 5\n")
    out = tmp_path / "fg.svg"
    res = run([proftui, "--open", src, "-o", out])
    assert res.returncode == 0, res.describe()
    root = ET.parse(out).getroot()
    for meta in [e for e in root if e.tag.endswith("metadata")]:
        root.remove(meta)              # the embedded profile (for --open) is not shown
    text = " ".join(root.itertext())
    assert "interval unknown" in text and "15 samples" in text, text[:500]
    assert "0us interval" not in text and "pid 0" not in text and "0.000s" not in text, text[:500]
