# SPDX-License-Identifier: MIT
"""Write a line-table fixture for the running CPython (3.8+).

Usage: python3.X tools/gen_linetable_fixtures.py OUTPUT_DIR

The committed fixtures in test/data/linetable were made by running it under
every interpreter on the build machine, e.g.
    for py in /root/.pyenv/versions/3.*/bin/python /usr/bin/python3; do
        "$py" tools/gen_linetable_fixtures.py test/data/linetable; done
(3.14.10 and 3.15.2 came from Debian's python3.14/python3.15 packages,
unpacked: any release build that exports PyCode_Addr2Line will do.)

Compiles a fixed module (below) covering the awkward corners of CPython's
line tables, walks every code object in it (nested ones included) and writes
OUTPUT_DIR/<X.Y.Z>.txt with, per code object, the raw table bytes and the
line the interpreter itself reports for every instruction offset. The
expected lines come from dis.findlinestarts (3.8, 3.9) or code.co_lines()
(3.10+) and are cross-checked against the interpreter's own C function
PyCode_Addr2Line (through ctypes) for every offset, for a negative offset and
for the first offset past the end; any disagreement aborts the run, so a
fixture is only ever written when both agree.

File format (one record per line, fields separated by single spaces):
    python X.Y.Z
    code NAME FIRSTLINENO CODELEN PAST_END_LINE TABLE_HEX LINES...
TABLE_HEX is "-" for an empty table. LINES gives the line of each offset
0, 2, 4, ... CODELEN-2 in order, run-length encoded as LINE or LINE*COUNT;
-1 means "no line".
"""

import ctypes
import dis
import os
import sys
import types
import warnings

VERSION = sys.version_info[:3]


def _far_lines():
    # >255-line forward and backward jumps; a loop whose body ends far below
    # its header, so the jump back carries a large negative line delta.
    gap = "\n" * 300
    return (
        "def far_lines(n):\n"
        "    a = n + 1\n" + gap +
        "    b = a * 2\n" + gap + gap +
        "    while n > 0:\n"
        "        n -= 1\n" + gap +
        "        b += n\n"
        "    return a + b\n\n\n"
    )


def _big_lines():
    # One line compiling to far more than 255 bytes of bytecode, and a
    # multi-line call spanning more than 127 lines (the call instruction's
    # line is far above the previous instruction's).
    wide = ", ".join("v + %d" % i for i in range(160))
    args = "".join("        v + %d,\n" % i for i in range(200))
    return (
        "def big_line(v):\n"
        "    xs = [" + wide + "]\n"
        "    return xs\n\n\n"
        "def tall_call(v):\n"
        "    return max(\n" + args + "    )\n\n\n"
    )


def _wide_columns():
    # Expressions starting past column 127 force the long form (code 14) in
    # 3.11+; a huge constant pushes the column varints to several chunks.
    huge = "x" * 5000
    return (
        "def wide_columns(f):\n"
        "    s = '" + huge + "'; t = f(s); u = f(t)\n"
        "    big = (" + ", ".join(str(i) for i in range(400)) + ",)\n"
        "    return f(s, t, u, big)\n\n\n"
    )


def _many_consts():
    # More than 256 constants and names: EXTENDED_ARG prefixes.
    body = "".join("    x%d = %d.5\n" % (i, i) for i in range(300))
    return "def many_consts():\n" + body + "    return x0 + x299\n\n\n"


_BASE = '''\
import os

GLOBAL = 1
for _i in range(3):
    GLOBAL += _i
if GLOBAL > 2:
    GLOBAL = (
        GLOBAL
        + 1
    )


def simple(a, b):
    c = a + b
    return c


def loops(n):
    total = 0
    for i in range(n):
        if i % 3:
            total += i
        else:
            continue
    while n > 0:
        n -= 1
        if n == 7:
            break
    else:
        total = -total
    return total


def decorator(*args):
    return lambda f: f


@decorator
@decorator(
    1,
    2)
def decorated(
    a,
    b=1,
):
    return a


def exceptions(x):
    try:
        y = 1 / x
    except ZeroDivisionError as e:
        y = 0
        raise ValueError() from e
    except (TypeError, KeyError):
        y = -1
    else:
        y += 1
    finally:
        x = None
    try:
        pass
    finally:
        return y


def with_block(path):
    with open(path) as f, open(path) as g:
        return f.read() + g.read()


def comprehensions(xs):
    a = [x * 2 for x in xs if x]
    b = {x: x for x in xs}
    c = {x for x in xs}
    d = (x for x in xs)
    e = [[y for y in range(x)]
         for x in xs]
    return a, b, c, list(d), e


def generator(n):
    for i in range(n):
        yield i
    yield from range(n)


async def coroutine(aw):
    await aw
    async for x in aw:
        pass
    async with aw:
        pass
    return [x async for x in aw]


def lambdas():
    f = lambda x: x + 1
    g = (lambda y:
         y * 2)
    return f, g


def nested(a):
    def inner(b):
        def innermost(c):
            return a + b + c
        return innermost

    class Local:
        attr = a

        def method(self):
            return self.attr
    return inner, Local


class Klass:
    x = 1

    def method(self):
        return self.x

    @property
    def prop(self):
        return (self.x +
                1)


def conditional(a, b, c):
    return (a if b
            else c)


def chained(a):
    return (a
            .strip()
            .lower()
            .split())


'''

_PY310 = '''\
def matcher(v):
    match v:
        case [a, b]:
            return a + b
        case {"k": k}:
            return k
        case _:
            return None


'''

_PY311 = '''\
def groups():
    r = 0
    try:
        raise ExceptionGroup("g", [ValueError()])
    except* ValueError:
        r = 1
    except* TypeError:
        r = 2
    return r


'''

_PY312 = '''\
def generic[T](x: T) -> T:
    return x


type Alias = list[int]


class Box[T]:
    def get(self) -> T:
        return self.v


'''


def fixture_source():
    src = (_BASE + _far_lines() + _big_lines() + _wide_columns() +
           _many_consts())
    if VERSION >= (3, 10):
        src += _PY310
    if VERSION >= (3, 11):
        src += _PY311
    if VERSION >= (3, 12):
        src += _PY312
    return src


def walk(code, prefix=""):
    """Yield (name, code) for code and every code object nested in it."""
    name = prefix + getattr(code, "co_qualname", code.co_name)
    yield name.replace(" ", "_"), code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            for item in walk(const, name + "/"):
                yield item


def raw_table(code):
    return code.co_lnotab if VERSION < (3, 10) else code.co_linetable


def lines_from_dis(code):
    """3.8/3.9: the line of an offset is the last line start at or before it."""
    n = len(code.co_code)
    starts = list(dis.findlinestarts(code))
    out = []
    k = -1
    for off in range(0, n, 2):
        while k + 1 < len(starts) and starts[k + 1][0] <= off:
            k += 1
        out.append(starts[k][1] if k >= 0 else -1)
    return out


def lines_from_co_lines(code):
    """3.10+: co_lines() ranges; they must tile the bytecode exactly.

    On 3.11+ the ranges cover co_code_adaptive, inline CACHE entries included;
    co_code has the same length, which the tiling check below confirms."""
    n = len(code.co_code)
    out = [None] * (n // 2)
    expect_start = 0
    for start, end, line in code.co_lines():
        if start != expect_start or end <= start or end > n:
            raise SystemExit("%s: co_lines range %d..%d does not tile %d bytes"
                             % (code.co_name, start, end, n))
        for off in range(start, end, 2):
            out[off // 2] = -1 if line is None else line
        expect_start = end
    if expect_start != n:
        raise SystemExit("%s: co_lines ends at %d, co_code has %d bytes"
                         % (code.co_name, expect_start, n))
    return out


def addr2line_func():
    func = ctypes.pythonapi.PyCode_Addr2Line
    func.argtypes = (ctypes.py_object, ctypes.c_int)
    func.restype = ctypes.c_int
    return func


def check_against_c(name, code, lines, addr2line):
    """Every offset must agree with PyCode_Addr2Line; returns its past-end answer."""
    for i, line in enumerate(lines):
        got = addr2line(code, 2 * i)
        if got != line:
            raise SystemExit("%s: offset %d: python says %d, PyCode_Addr2Line %d"
                             % (name, 2 * i, line, got))
    if addr2line(code, -2) != code.co_firstlineno:
        raise SystemExit("%s: PyCode_Addr2Line(-2) is not co_firstlineno" % name)
    # One past the end: 3.8/3.9 keep the last line, 3.10+ answer -1. Release
    # builds only; a debug build asserts addrq < code size.
    return addr2line(code, len(code.co_code))


def rle(values):
    out = []
    i = 0
    while i < len(values):
        j = i
        while j < len(values) and values[j] == values[i]:
            j += 1
        out.append(str(values[i]) if j - i == 1 else "%d*%d" % (values[i], j - i))
        i = j
    return " ".join(out)


def cache_units(code):
    """3.11+: inline CACHE code units in the bytecode (co_lines covers them)."""
    cache = dis.opmap["CACHE"]
    raw = bytearray(code.co_code)
    return sum(1 for i in range(0, len(raw), 2) if raw[i] == cache)


def location_codes(table):
    """3.11+: histogram of entry kinds, to show the fixture's coverage."""
    seen = {}
    for b in bytearray(table):
        if b & 0x80:
            code = (b >> 3) & 15
            kind = "short" if code < 10 else str(code)
            seen[kind] = seen.get(kind, 0) + 1
    return seen


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: %s OUTPUT_DIR" % sys.argv[0])
    if hasattr(sys, "gettotalrefcount"):
        raise SystemExit("use a release build: debug builds assert in PyCode_Addr2Line")
    with warnings.catch_warnings():
        # 3.14+ warn about the fixture's deliberate 'return' in 'finally'.
        warnings.simplefilter("ignore", SyntaxWarning)
        module = compile(fixture_source(), "linetable_fixture.py", "exec")
    addr2line = addr2line_func()
    version = "%d.%d.%d" % VERSION
    records = ["# proftui line-table fixture, written by tools/gen_linetable_fixtures.py",
               "python " + version]
    offsets = 0
    caches = 0
    kinds = {}
    objects = list(walk(module))
    for name, code in objects:
        if VERSION < (3, 10):
            lines = lines_from_dis(code)
        else:
            lines = lines_from_co_lines(code)
        past = check_against_c(name, code, lines, addr2line)
        table = raw_table(code)
        records.append("code %s %d %d %d %s %s" % (
            name, code.co_firstlineno, len(code.co_code), past,
            table.hex() if table else "-", rle(lines)))
        offsets += len(lines)
        if VERSION >= (3, 11):
            caches += cache_units(code)
            for kind, count in location_codes(table).items():
                kinds[kind] = kinds.get(kind, 0) + count
    if VERSION >= (3, 11) and caches == 0:
        raise SystemExit("no CACHE entries: the fixture would not cover them")
    path = os.path.join(sys.argv[1], version + ".txt")
    with open(path, "w") as out:
        out.write("\n".join(records) + "\n")
    summary = "%s: %d code objects, %d offsets" % (path, len(objects), offsets)
    if kinds:
        summary += "; %d CACHE units; location entry kinds " % caches + ", ".join(
            "%s=%d" % (k, kinds[k]) for k in sorted(kinds))
    print(summary)


if __name__ == "__main__":
    main()
