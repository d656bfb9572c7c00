# SPDX-License-Identifier: MIT
"""Drives the real proftui live view in a real pseudo-terminal and reads
the screen the way a person would, through the pyte terminal emulator.

- `LiveView(args, ...)` starts proftui on a fresh pty (made its controlling
  terminal, so resizes deliver SIGWINCH like a real terminal does).
- Every wait polls the screen with a deadline (`wait_for`); nothing sleeps
  and hopes. A timeout fails the test with the screen attached.
- `header()`, `rows()`, `details()`, `footer()` parse what is on screen;
  `key()` sends keys by their terminfo names, so arrow keys are sent the
  way the terminal type says they are.
"""

import fcntl
import functools
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import pyte
import pytest

from harness import REPO

KEY_TABLES = sorted((REPO / "src" / "ui").glob("*.c"))   # ui_keys.c (global) and each view's
DEFAULT_TIMEOUT = 15.0
SETTLE = 0.04             # output quiet this long: the frame is complete


# ---------------------------------------------------------------- parsing values

def parse_count(text: str) -> float:
    """'12345' / '123.4k' / '1.2M' / '12,345' -> a number."""
    text = text.replace(",", "")
    scale = {"k": 1e3, "M": 1e6, "G": 1e9}.get(text[-1:], 1)
    return float(text[:-1] if scale != 1 else text) * scale


def parse_pct(text: str) -> float:
    """'12.3%' -> 12.3; '<0.1%' -> 0.05; '-' -> 0."""
    if text.startswith("<"):
        return 0.05
    return float(text.rstrip("%")) if text != "-" else 0.0


def parse_time(text: str) -> float:
    """A duration as the view prints it ('850ms', '12.4s', '2\\'31"', '1h02\\'') in seconds."""
    m = re.fullmatch(r"(\d+)h(\d+)'", text)
    if m:
        return int(m[1]) * 3600 + int(m[2]) * 60
    m = re.fullmatch(r"(\d+)'(\d+)\"", text)
    if m:
        return int(m[1]) * 60 + int(m[2])
    m = re.fullmatch(r"([\d.]+)(ns|us|ms|s)", text)
    if m:
        return float(m[1]) * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[m[2]]
    if text == "0":
        return 0.0
    raise ValueError(f"not a duration: {text!r}")


@dataclass
class Row:
    own: float
    total: float
    own_time: float
    total_time: float
    own_pct: float
    total_pct: float
    func: str
    loc: str
    y: int
    # %PY, %C, %SYS when the split is shown (None: not shown, or "-": no
    # own sample on a CPU); "<1%" reads as 0.5
    py: Optional[float] = None
    c: Optional[float] = None
    sys: Optional[float] = None


def parse_split(text: str) -> Optional[float]:
    if text == "-":
        return None
    if text == "<1%":
        return 0.5
    m = re.fullmatch(r"(\d+)%", text)
    if not m:
        raise ValueError(f"not a split share: {text!r}")
    return float(m[1])


@dataclass
class TreeRow:
    """A row of the call tree view (c)."""
    total_pct: float
    total_time: float
    own_pct: float
    own_time: float
    depth: int           # 0 for the outermost frames
    fold: str            # "open", "closed" or "leaf"
    func: str
    loc: str
    y: int


@dataclass
class CallersLine:
    """A line of the callers / callees view (Enter) other than the headings."""
    section: str         # "caller", "focus", "callee" ([self] is a callee named "[self]")
    focus_pct: float
    time: float
    total_pct: float
    func: str
    loc: str
    y: int


_TREE_CELL = re.compile(r"^((?:[│|] |  |[├└]─|\|-|`-|… |~ )*)([▾▸─v>\- ]) (.+)$")
_FOLDS = {"▾": "open", "v": "open", "▸": "closed", ">": "closed"}


# ---------------------------------------------------------------- the key table

def key_table(files: Optional[Sequence[str]] = None) -> List[Dict[str, str]]:
    """The bindings of every key table under src/ui (the global one in
    ui_keys.c and each view's: label, ASCII label, help text), read from
    the source: the help screen must list every one of them. `files`
    (names such as "view_tree.c") narrows it to those sources."""
    entries = []
    for path in KEY_TABLES:
        if files is not None and path.name not in files:
            continue
        src = path.read_text()
        for start in re.finditer(r"static const struct ui_key \w+\[\] = \{", src):
            body = src[start.end():]
            body = body[:body.index("\n};")]
            for m in re.finditer(r'\{\{[^}]*\},\s*("(?:[^"\\]|\\.)*")\s*,\s*("(?:[^"\\]|\\.)*")\s*,'
                                 r'((?:\s*"(?:[^"\\]|\\.)*")+)', body):
                help_text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m[3]))
                entries.append({"label": m[1][1:-1], "plain": m[2][1:-1], "help": help_text})
    assert len(entries) >= (15 if files is None else 1), "could not parse the key tables under src/ui"
    return entries


# ---------------------------------------------------------------- terminal

@functools.lru_cache(maxsize=None)
def terminfo_string(term: str, cap: str) -> Optional[bytes]:
    """A string capability of `term` (e.g. 'kcuu1', the up arrow), or None
    when the terminal has none. Asked of tput: Python's curses.setupterm()
    only ever loads one terminal type per process."""
    res = subprocess.run(["tput", "-T", term, cap], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, timeout=30)
    return res.stdout if res.returncode == 0 and res.stdout else None


KEY_CAPS = {"up": "kcuu1", "down": "kcud1", "left": "kcub1", "right": "kcuf1",
            "pgup": "kpp", "pgdn": "knp", "home": "khome", "end": "kend",
            "sleft": "kLFT", "sright": "kRIT", "f1": "kf1"}


class _Screen(pyte.Screen):
    """pyte's screen plus SU / SD (CSI n S, CSI n T: scroll the region up /
    down), which ncurses uses to move rows and pyte 0.8 lacks; xterm,
    VTE and tmux all have them."""

    def _scroll(self, count, at_bottom):
        top, bottom = self.margins or pyte.screens.Margins(0, self.lines - 1)
        y, x = self.cursor.y, self.cursor.x
        for _ in range(max(1, count or 1)):
            self.cursor.y = bottom if at_bottom else top
            (self.index if at_bottom else self.reverse_index)()
        self.cursor.y, self.cursor.x = y, x

    def scroll_up(self, count=None, *args, **kwargs):
        self._scroll(count, at_bottom=True)

    def scroll_down(self, count=None, *args, **kwargs):
        self._scroll(count, at_bottom=False)


class _Stream(pyte.ByteStream):
    csi = dict(pyte.ByteStream.csi, S="scroll_up", T="scroll_down")


def _set_winsize(fd: int, cols: int, lines: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, cols, 0, 0))


class LiveView:
    """proftui running on a pty whose output feeds a pyte screen."""

    def __init__(self, args: Sequence, cols: int = 160, lines: int = 40,
                 term: str = "xterm-256color", env: Optional[Dict[str, str]] = None,
                 cwd=None):
        self.term = term
        self.cols, self.lines = cols, lines
        self.screen = _Screen(cols, lines)
        self.stream = _Stream(self.screen)
        self.raw = bytearray()
        self.master, self.slave = os.openpty()
        _set_winsize(self.slave, cols, lines)
        full_env = dict(os.environ, TERM=term, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        full_env.pop("NO_COLOR", None)
        full_env.update(env or {})
        slave = self.slave

        def make_controlling_tty():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.args = [str(a) for a in args]
        self.proc = subprocess.Popen(self.args, stdin=slave, stdout=slave, stderr=slave,
                                     start_new_session=True, preexec_fn=make_controlling_tty,
                                     env=full_env, close_fds=True, cwd=cwd)
        self.returncode: Optional[int] = None
        self.launched = False              # set by tests that launch the target
        self.target_pid: Optional[int] = None

    # -- I/O
    def pump(self, timeout: float = 0.05) -> None:
        """Feed what proftui writes to the screen: wait up to `timeout` for
        output, then read until it has been quiet for SETTLE seconds, so that
        a frame written in several pieces is seen whole."""
        wait = timeout
        while True:
            ready, _, _ = select.select([self.master], [], [], wait)
            if not ready:
                return
            try:
                data = os.read(self.master, 65536)
            except OSError:       # EIO: every slave end is closed
                return
            if not data:
                return
            self.raw += data
            self.stream.feed(data)
            wait = SETTLE

    def send(self, data) -> None:
        os.write(self.master, data.encode() if isinstance(data, str) else data)

    def key(self, name: str) -> None:
        """Send a key by name ('up', 'pgdn', 'sleft'...) as the terminal would."""
        seq = terminfo_string(self.term, KEY_CAPS[name])
        assert seq, f"terminal {self.term} has no {KEY_CAPS[name]} key"
        self.send(seq)

    def resize(self, cols: int, lines: int) -> None:
        """Resize the terminal: the pty (TIOCSWINSZ), the emulator, and a
        SIGWINCH to proftui (the kernel also sends one to the foreground group)."""
        self.cols, self.lines = cols, lines
        self.screen.resize(lines, cols)
        _set_winsize(self.slave, cols, lines)
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGWINCH)

    # -- waiting
    def wait_for(self, cond: Callable[[], object], what: str, timeout: float = DEFAULT_TIMEOUT):
        """Poll cond() while feeding the screen; fail with the screen after timeout."""
        deadline = time.monotonic() + timeout
        while True:
            self.pump(0.03)
            try:
                value = cond()
            except (ValueError, IndexError, AttributeError):
                value = None
            if value:
                return value
            if self.proc.poll() is not None and self.returncode is None:
                self.pump(0.2)
                self.returncode = self.proc.returncode
            if time.monotonic() >= deadline:
                pytest.fail(f"timed out after {timeout}s waiting for {what}\n{self.describe()}",
                            pytrace=False)

    def wait_text(self, pattern: str, timeout: float = DEFAULT_TIMEOUT) -> re.Match:
        return self.wait_for(lambda: re.search(pattern, self.text()), f"/{pattern}/ on screen", timeout)

    def wait_exit(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            self.pump(0.05)
            if time.monotonic() >= deadline:
                pytest.fail(f"proftui did not exit within {timeout}s\n{self.describe()}", pytrace=False)
        self.pump(0.3)
        self.returncode = self.proc.returncode
        return self.returncode

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=30)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass

    # -- what is on screen
    def display(self) -> List[str]:
        return list(self.screen.display)

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.display())

    def describe(self) -> str:
        status = self.proc.poll()
        return (f"command: {' '.join(self.args)}\nproftui {'running' if status is None else f'exited {status}'}"
                f"\n--- screen {self.cols}x{self.lines} ---\n{self.text()}\n--- end of screen ---")

    def title_line(self) -> int:
        """Index of the column-title line of the table."""
        for y, line in enumerate(self.display()):
            if "FUNCTION" in line and "LOCATION" in line:
                return y
        raise ValueError("no column titles on screen")

    def header_text(self) -> str:
        return "\n".join(self.display()[:self.title_line()])

    def header(self) -> Dict[str, str]:
        """The header's fields by name (only those present)."""
        text = self.header_text()
        fields = {}
        patterns = {
            "python": r"Python (\S+)", "pid": r"PID (\d+)", "mode": r"Mode (\w+)",
            "interval": r"Interval (\S+)", "elapsed": r"Elapsed (\S+)", "samples": r"Samples ([\d,]+)",
            "rate": r"Rate (\S+ of \S+)", "missed": r"Missed ([\d,]+)", "failed": r"Failed ([\d,]+)",
            "failed_detail": r"Failed ([\d,]+(?: \([^)]*\))?)",
            "tasks": r"Tasks (\d+)", "cpu": r"CPU (\S+)", "rss": r"RSS (\S+ \S+|-)", "threads": r"Threads (\d+)", "procs": r"Procs (\d+)",
            "view": r"View (.+?)  Level", "level": r"Level (\w+)", "sort": r"Sort (\S+(?: TIME)?) ([▼▲v^])",
            "threshold": r"Threshold ([\d.]+)% \((\d+) hidden\)", "filter": r'Filter "(.*)" \((\d+) of (\d+)\)',
            "refresh": r"refresh ([\d.]+)s",
        }
        for name, pattern in patterns.items():
            m = re.search(pattern, text)
            if m:
                fields[name] = m.group(1) if m.re.groups == 1 else m.groups()
        fields["state"] = self.display()[self.title_line() - 1].strip()
        return fields

    def samples(self) -> int:
        return int(self.header()["samples"].replace(",", ""))

    def table_columns(self) -> Tuple[List[str], int, int, int]:
        """The screen's lines, the title line's index and the columns where
        its FUNCTION and LOCATION titles start (top, tree and callers views)."""
        lines = self.display()
        ty = self.title_line()
        titles = lines[ty]
        return lines, ty, titles.index("FUNCTION"), titles.index("LOCATION")

    def rows(self) -> List[Row]:
        """The table's rows (all six numeric columns must be shown; the
        three of the split too when it is shown)."""
        lines, ty, fx, lx = self.table_columns()
        rows = []
        for y in range(ty + 1, len(lines)):
            line = lines[y]
            if not line.strip() or line.lstrip()[0] in "▶>":
                break
            nums = line[:fx].split()
            if len(nums) not in (6, 9):
                break
            split = [parse_split(x) for x in nums[6:]] or [None] * 3
            rows.append(Row(parse_count(nums[0]), parse_count(nums[1]), parse_time(nums[2]),
                            parse_time(nums[3]), parse_pct(nums[4]), parse_pct(nums[5]),
                            line[fx:lx].strip(), line[lx:].strip(), y, *split))
        return rows

    def row(self, func: str, loc: str = "") -> Optional[Row]:
        """The first row of function `func` whose location starts with `loc`."""
        for r in self.rows():
            if r.func == func and r.loc.startswith(loc):
                return r
        return None

    def details(self) -> List[str]:
        """The two details lines under the table (selected row)."""
        lines = self.display()
        for y in range(self.title_line() + 1, len(lines) - 1):
            if lines[y].startswith(("▶", ">")):
                return [lines[y].rstrip(), lines[y + 1].rstrip()]
        raise ValueError("no details line on screen")

    def selected_name(self) -> str:
        first = self.details()[0]
        name = first[1:].strip()
        return re.split(r"\s{2,}own ", name)[0].strip()

    def tree_rows(self) -> List[TreeRow]:
        """The call tree view's rows (its four numeric columns must be shown)."""
        lines, ty, fx, lx = self.table_columns()
        rows = []
        for y in range(ty + 1, len(lines)):
            line = lines[y]
            nums = line[:fx].split()
            m = _TREE_CELL.match(line[fx:lx].rstrip())
            if len(nums) != 4 or not m:
                break
            fold = _FOLDS.get(m[2], "leaf")
            rows.append(TreeRow(parse_pct(nums[0]), parse_time(nums[1]), parse_pct(nums[2]),
                                parse_time(nums[3]), len(m[1]) // 2, fold, m[3].strip(),
                                line[lx:].strip(), y))
        return rows

    def tree_row(self, func: str, parent: Optional[str] = None) -> Optional[TreeRow]:
        """The first tree row of `func` (directly under a row of `parent` when given)."""
        rows = self.tree_rows()
        for i, r in enumerate(rows):
            if r.func != func:
                continue
            if parent is None:
                return r
            above = [p for p in rows[:i] if p.depth == r.depth - 1]
            if above and above[-1].func == parent:
                return r
        return None

    def callers_lines(self) -> List[CallersLine]:
        """The callers / callees view's lines, headings left out."""
        lines, ty, fx, lx = self.table_columns()
        out, section = [], "caller"
        for y in range(ty + 1, len(lines)):
            line = lines[y]
            if line.startswith(("▶", ">")):
                break
            cell = line[fx:lx].rstrip()
            if cell.startswith("callees of"):
                section = "callee"
                continue
            if not line[:fx].strip():
                continue                       # a heading
            nums = line[:fx].split()
            if len(nums) != 3:
                break
            focus = cell[:2] in ("◆ ", "* ")
            out.append(CallersLine("focus" if focus else section, parse_pct(nums[0]), parse_time(nums[1]),
                                   parse_pct(nums[2]), cell[2:].strip(), line[lx:].strip(), y))
        return out

    def footer(self) -> str:
        return self.display()[-1].rstrip()

    def highlighted_rows(self) -> List[int]:
        """Lines of the table drawn in reverse video or on a coloured background."""
        ty = self.title_line()
        out = []
        for y in range(ty + 1, self.lines):
            cells = [self.screen.buffer[y][x] for x in range(self.cols)]
            if all(c.reverse or c.bg not in ("default",) for c in cells[:20]):
                out.append(y)
        return out

    # -- the terminal after exit
    def tty_modes(self):
        """termios lflag of the pty (shared by both ends)."""
        return termios.tcgetattr(self.slave)[3]


# ---------------------------------------------------------------- other views, the mouse

@dataclass
class Box:
    """A run of painted cells on one line (a flame graph box): reversed or
    on a background colour, the same all along."""
    y: int
    x: int
    w: int               # painted columns (a box's gap column is not painted)
    text: str
    bg: str
    reverse: bool


def assert_help_lists(view: LiveView, files: Sequence[str], pages: int = 12,
                      help_chars: Optional[int] = None, until: Sequence[str] = ()) -> str:
    """Open the help screen (`?`), read it page by page (pgdn) and assert
    that every key of the key tables in `files` stands on one line with
    its help (its first `help_chars` characters when given). Paging stops
    after `pages` pages, or once every key and every regex of `until`
    (matched against the lines seen) has been seen. Returns the lines
    seen, sorted, one a line."""
    view.send("?")
    view.wait_for(lambda: "help" in view.display()[0] and "Keys" in view.text(), "the help screen")
    entries = key_table(files)
    seen = set()

    def listed(entry) -> bool:
        want = entry["help"][:help_chars] if help_chars else entry["help"]
        return any(entry["label"] in line and want in line for line in seen)

    def complete() -> bool:
        text = "\n".join(seen)
        return all(map(listed, entries)) and all(re.search(p, text, re.M) for p in until)

    for _ in range(pages):
        seen.update(line.strip() for line in view.display())
        if complete():
            break
        view.key("pgdn")
        view.pump(0.3)
    seen_text = "\n".join(sorted(seen))
    for entry in entries:
        assert listed(entry), \
            f"the help does not list {entry['label']!r}: {entry['help']!r}\n{seen_text}"
    return seen_text


def screen_line(view: LiveView, pattern: str) -> int:
    """The first line of the screen matching the regex, else ValueError."""
    for y, line in enumerate(view.display()):
        if re.search(pattern, line):
            return y
    raise ValueError(f"/{pattern}/ is not on screen")


def painted_runs(view: LiveView, y: int) -> List[Box]:
    """The painted runs of line y, left to right."""
    runs: List[Box] = []
    row = view.screen.buffer[y]
    for x in range(view.cols):
        c = row[x]
        if c.bg == "default" and not c.reverse:
            continue
        last = runs[-1] if runs else None
        if last and last.x + last.w == x and (last.bg, last.reverse) == (c.bg, c.reverse):
            last.w += 1
            last.text += c.data
        else:
            runs.append(Box(y, x, 1, c.data, c.bg, c.reverse))
    for r in runs:
        r.text = r.text.strip()
    return runs


def view_details(view: LiveView) -> List[str]:
    """The two details lines of any view: the last line starting with the
    pointer (▶ or >) and the one after it."""
    lines = view.display()
    for y in range(len(lines) - 2, 0, -1):
        if lines[y].startswith(("▶", ">")):
            return [lines[y].rstrip(), lines[y + 1].rstrip()]
    raise ValueError("no details line on screen")


def screen_samples(view: LiveView) -> int:
    """The header's sample count, in any view."""
    return int(re.search(r"Samples ([\d,]+)", view.text())[1].replace(",", ""))


def mouse_click(view: LiveView, y: int, x: int, double: bool = False) -> None:
    """Click button 1 on screen cell (y, x) (0-based) as xterm reports it
    in SGR mode (press then release; twice for a double click)."""
    click = f"\x1b[<0;{x + 1};{y + 1}M\x1b[<0;{x + 1};{y + 1}m"
    view.send(click * (2 if double else 1))


def mouse_wheel(view: LiveView, y: int, x: int, down: bool = True) -> None:
    """One notch of the wheel over cell (y, x), as xterm reports it."""
    view.send(f"\x1b[<{65 if down else 64};{x + 1};{y + 1}M")
