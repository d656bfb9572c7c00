# SPDX-License-Identifier: MIT
"""Installing proftui (issue 11): `meson setup --prefix=<tmp>` in a build
directory of its own and `meson install` put the binary, the man page,
the bash completion and the demo under the prefix; the installed binary
finds the installed demo (relative to itself, before the source tree it
was built from); the man page renders without warnings and lists every
option of --help (and no other) and every key of the key tables; the
bash completion completes options, format names, files and process ids.

The install builds the installed target (proftui) and runs `meson install
--no-rebuild`: the same install step, without building the unit tests,
fuzzers and benchmarks of a second tree on a busy machine. It builds with
--buildtype=plain (no optimisation, no debug information: a third of the
compile time): what is checked here is where the files go and what the
installed binary finds, the same for every build type; the project's own
build (debugoptimized) is what every other test runs.

The tests that use the installed tree are marked slow, so the sanitizer
pass of ./dev test leaves them out: they build and run a binary of their
own, never the sanitizer build, and the normal pass runs them."""

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from harness import REPO, Profile, run
from uidriver import key_table

FORMATS = ["collapsed", "speedscope", "pprof", "pstats", "svg"]


@pytest.fixture(scope="module")
def prefix(tmp_path_factory) -> Path:
    """A fresh install of the source tree under a temporary prefix."""
    for tool in ("meson", "ninja"):
        assert shutil.which(tool), f"{tool} is not installed (Debian package {tool})"
    tmp = tmp_path_factory.mktemp("install")
    build, prefix = tmp / "build", tmp / "prefix"
    steps = [["meson", "setup", "--buildtype=plain", f"--prefix={prefix}", str(build), str(REPO)],
             ["ninja", "-C", str(build), "proftui"],
             ["meson", "install", "--no-rebuild", "-C", str(build)]]
    for cmd in steps:
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             universal_newlines=True, timeout=900)
        assert res.returncode == 0, f"{' '.join(cmd)} failed:\n{res.stdout[-4000:]}"
    return prefix


@pytest.mark.slow
def test_installed_files(prefix):
    exe = prefix / "bin" / "proftui"
    assert exe.is_file() and os.access(exe, os.X_OK)
    assert (prefix / "share" / "man" / "man1" / "proftui.1").read_text() == \
        (REPO / "docs" / "proftui.1").read_text()
    assert (prefix / "share" / "bash-completion" / "completions" / "proftui").is_file()
    assert (prefix / "share" / "proftui" / "demo.py").read_text() == (REPO / "demo" / "demo.py").read_text()


@pytest.mark.slow
def test_installed_binary_runs_installed_demo(prefix, tmp_path):
    """No command: the demo found next to the installed binary, although
    the source tree's demo (the compiled-in path) is there too."""
    out = tmp_path / "x.txt"
    res = run([prefix / "bin" / "proftui", "-d", "1", "-o", out], timeout=60)
    assert res.returncode in (0, 128 + signal.SIGINT, 128 + signal.SIGTERM), res.describe()
    p = Profile.load(out)
    demo = str((prefix / "share" / "proftui" / "demo.py").resolve())
    assert demo in p.meta_value("command"), p.summary()
    in_demo = sum(s.count for s in p.stacks if any(f.file == demo for f in s.frames))
    assert in_demo > 0.5 * sum(s.count for s in p.stacks), p.summary()


def rendered_man(width: int = 80) -> subprocess.CompletedProcess:
    env = dict(os.environ, MANWIDTH=str(width), LANG="C.UTF-8")
    env.pop("MAN_KEEP_FORMATTING", None)          # plain text, no overstrikes
    return subprocess.run(["man", "--warnings", "-l", str(REPO / "docs" / "proftui.1")],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                          universal_newlines=True, timeout=60)


@pytest.mark.slow
def test_man_page_renders_without_warnings(prefix):
    res = rendered_man()
    assert res.returncode == 0 and res.stderr == "", res.stderr
    assert "proftui - live terminal-UI sampling profiler" in res.stdout
    res = subprocess.run(["groff", "-ww", "-z", "-man", "-Tutf8",
                          str(prefix / "share" / "man" / "man1" / "proftui.1")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert res.returncode == 0 and res.stderr == "", res.stderr


def section(text: str, name: str) -> str:
    """A section of the rendered page (from its heading to the next)."""
    m = re.search(rf"^{name}\n(.*?)(?=^\S)", text, re.M | re.S)
    assert m, f"no {name} section"
    return m[1]


def tags(text: str):
    """The tagged paragraphs' tags, whitespace normalised: lines indented 7
    columns, or their first 7 columns when the paragraph's text (indented
    14) follows a short tag on the same line."""
    out = set()
    for line in text.split("\n"):
        if re.match(r"^ {7}\S", line):
            short = len(line) > 14 and line[13] == " " and line[14] != " "
            out.add(" ".join((line[7:13] if short else line).split()))
    return out


def help_options(proftui):
    """The options --help names: those of the usage lines and those the
    option lines define."""
    text = run([proftui, "--help"]).stdout
    opts = set()
    for line in text.split("\n"):
        if re.match(r"^(usage: | {7})proftui ", line):
            opts.update(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[A-Za-z])\b", line.strip().split("  ")[0]))
        m = re.match(r"^ {2,6}(?:(-[A-Za-z]), )?(--[a-z][a-z-]*)", line)
        if m:
            opts.update(o for o in m.groups() if o)
    assert len(opts) >= 20, f"could not read the options of --help:\n{text}"
    return opts


def test_man_page_options_match_help(proftui):
    options = section(rendered_man(200).stdout, "OPTIONS")
    man = set()
    for tag in tags(options):
        man.update(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[A-Za-z])\b", tag))
    want = help_options(proftui)
    assert want - man == set(), f"--help options missing from the man page: {sorted(want - man)}"
    assert man - want == set(), f"man page options that --help lacks: {sorted(man - want)}"


def test_man_page_lists_every_key():
    keys = tags(section(rendered_man(200).stdout, "KEYS"))
    missing = [e["plain"] for e in key_table() if " ".join(e["plain"].split()) not in keys]
    assert not missing, f"keys missing from the man page: {missing}\n{sorted(keys)}"


def complete(prefix: Path, *words: str) -> list:
    """What the installed completion offers for the last word of
    `proftui WORDS...`; checks `complete -p` names its function."""
    script = prefix / "share" / "bash-completion" / "completions" / "proftui"
    words_q = " ".join(f"'{w}'" for w in ("proftui",) + words)
    cmd = (f"source '{script}'; complete -p proftui | grep -q -- '-F _proftui' || exit 3; "
           f"COMP_WORDS=({words_q}); COMP_CWORD={len(words)}; _proftui; "
           "printf '%s\\n' \"${COMPREPLY[@]}\"")
    res = subprocess.run(["bash", "--norc", "--noprofile", "-c", cmd], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    assert res.returncode == 0 and not res.stderr, f"exit {res.returncode}: {res.stderr}"
    return [w for w in res.stdout.split("\n") if w]


@pytest.mark.slow
def test_bash_completion(prefix, proftui, tmp_path):
    assert complete(prefix, "--for") == ["--format"]
    assert sorted(complete(prefix, "-f", "")) == sorted(FORMATS)
    assert complete(prefix, "--format", "sp") == ["speedscope"]
    assert set(complete(prefix, "--")) >= {o for o in help_options(proftui) if o.startswith("--")}
    me = str(os.getpid())
    assert me in complete(prefix, "-p", me[:-1]), "our own pid is not offered for -p"
    (tmp_path / "profile-a.json").write_text("{}")
    got = complete(prefix, "-o", str(tmp_path / "profile-"))
    assert got == [str(tmp_path / "profile-a.json")], got
    assert complete(prefix, "--open", str(tmp_path / "profile-")) == got
