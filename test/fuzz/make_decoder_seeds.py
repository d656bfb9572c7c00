#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of fuzz_decoders (seeds/decoders/), one small
file per case, from data already in the repository:
  - line tables: real tables of every format from test/data/linetable;
  - str and bytes objects: built for each layout in
    src/python/layout_tables.c (ASCII, UCS1, UCS2, UCS4, long, empty);
  - _Py_DebugOffsets: the blocks captured from live interpreters
    (test/data/debug_offsets_<version>.bin), and a 3.16 made from the newest;
  - objects and thread names: each interpreter seed image (seeds/image),
    led by its interpreter state, so threadnames_read() starts from real
    memory (the interpreter address is taken from the seed's .expect file);
  - asyncio tasks, 3.11+: a task parked in a coroutine awaiting a second
    one that awaits a future through a FutureIter, built for each layout
    with the task walker's offsets (src/python/tasklayout.c).
  - bytecode, 3.8+: every opcode of each version's table in
    src/python/opcodes_tables.c with its inline cache units, an
    EXTENDED_ARG before each call, and the opcodes that hide another last.
  - context-switch records: threads going on and off the CPU, one pushed
    off by the sampling thread, an exit, lost records, a comm record.
The input format is described at the top of fuzz_decoders.c.
usage: make_decoder_seeds.py"""
import glob
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "seeds", "decoders")
MIN_MINOR = 8


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def linetables():
    formats = {8: 1, 9: 1, 10: 2}          # LNOTAB, PEP626, else LOCATIONS (3)
    for path in sorted(glob.glob(os.path.join(REPO, "test", "data", "linetable", "*.txt"))):
        version = os.path.basename(path)[:-4]
        minor = int(version.split(".")[1])
        fmt = formats.get(minor, 3)
        with open(path) as f:
            codes = [line.split() for line in f if line.startswith("code ")]
        # the longest and two short tables of each version
        codes.sort(key=lambda c: -len(c[5]))
        for i, c in enumerate(codes[:1] + codes[-2:]):
            first, codelen, table = int(c[2]), int(c[3]), c[5]
            body = b"" if table == "-" else bytes.fromhex(table)
            head = struct.pack("<BBiI", 0, fmt - 1, first, codelen // 2)
            write(f"linetable-{version}-{i}", head + body)


def layouts():
    """{minor: {field: value}} from src/python/layout_tables.c."""
    text = open(os.path.join(REPO, "src", "python", "layout_tables.c")).read()
    tables = {}
    for block in re.split(r"\n(?=static const struct py_layout )", text):
        m = re.search(r"\.minor = (\d+),", block)
        if m:
            tables[int(m.group(1))] = {k: int(v, 0) for k, v in
                                       re.findall(r"\.(\w+) = (-?(?:0x)?[0-9a-fA-F]+)\b", block)}
    return tables


def str_object(l, text):
    cps = [ord(c) for c in text]
    kind = 1 if max(cps, default=0) < 0x100 else 2 if max(cps) < 0x10000 else 4
    ascii = max(cps, default=0) < 0x80
    state = (kind << l["unicode_kind_shift"]) | (1 << l["unicode_compact_bit"])
    if ascii:
        state |= 1 << l["unicode_ascii_bit"]
    size = l["unicode_ascii_size"] if ascii else l["unicode_compact_size"]
    obj = bytearray(size)
    struct.pack_into("<q", obj, 0, 1)
    struct.pack_into("<q", obj, l["unicode_length"], len(cps))
    struct.pack_into("<I", obj, l["unicode_state"], state)
    fmt = {1: "B", 2: "H", 4: "I"}[kind]
    return bytes(obj) + struct.pack(f"<{len(cps)}{fmt}", *cps) + b"\0" * kind


def strings():
    texts = ["run", "caf\xe9", "\u0444\u0443\u043d\u043a\u0446\u0438\u044f", "\U0001f9f5 spool",
             "x" * 300, ""]
    for minor, l in sorted(layouts().items()):
        for i, text in enumerate(texts):
            write(f"str-3.{minor}-{i}", bytes([1, minor - MIN_MINOR, 255]) + str_object(l, text))
        obj = bytearray(l["bytes_sval"])
        struct.pack_into("<q", obj, l["bytes_size"], 5)
        write(f"bytes-3.{minor}", bytes([1, minor - MIN_MINOR, 16]) + bytes(obj) + b"\x01\x02\x03\x04\x05\0")


def debug_offsets():
    """Each captured block for its own minor (fuzz_decoders picks 3.13 + k % 4),
    and a 3.16 made from the newest one (newer than every table)."""
    newest = None
    for path in sorted(glob.glob(os.path.join(REPO, "test", "data", "debug_offsets_*.bin"))):
        version = os.path.basename(path)[len("debug_offsets_"):-len(".bin")]
        minor = int(version.split(".")[1])
        block = open(path, "rb").read()
        write(f"debug-offsets-{version}", bytes([2, (minor - 13) % 4]) + block)
        if newest is None or minor > newest[0]:
            newest = (minor, block)
    if newest and newest[0] < 16:
        block = bytearray(newest[1])
        struct.pack_into("<I", block, 8, 0x031000A1)   # version: 3.16.0a1
        write("debug-offsets-3.16-from-3.%d" % newest[0], bytes([2, 3]) + bytes(block))


def segments(image):
    at = 32
    while at + 16 <= len(image):
        addr, length = struct.unpack_from("<QI", image, at)
        yield addr, image[at + 16:at + 16 + length]
        at += 16 + length


def objects():
    for path in sorted(glob.glob(os.path.join(HERE, "seeds", "image", "*.img"))):
        label = os.path.basename(path)[:-4]
        with open(os.path.join(HERE, "expect", label + ".expect")) as f:
            m = re.search(r"^names interp=0x([0-9a-f]+)", f.read(), re.M)
        if not m:
            continue
        interp = int(m.group(1), 16)
        image = open(path, "rb").read()
        minor = image[9]
        segs = list(segments(image))
        lead = [(a, b) for a, b in segs if a <= interp < a + len(b)]
        if not lead:
            continue
        a, b = lead[0]
        first = struct.pack("<QII", interp, len(b) - (interp - a), 0) + b[interp - a:]
        rest = b"".join(struct.pack("<QII", a, len(b), 0) + b for a, b in segs)
        write(f"objects-{label}", bytes([3, minor - MIN_MINOR]) + first + rest)


# TaskObj, generator and frame offsets of src/python/tasklayout.c:
# (fut_state, name, coro, task size, frame state, iframe, stack slot,
#  frame-state value suspended in an await, stack depth of the awaited)
TASKS = {11: (88, 144, 136, 176, 75, 80, 64, -1, 1), 12: (88, 144, 136, 176, 67, 72, 64, -1, 1),
         13: (96, 128, 120, 144, 67, 72, 64, -1, 1), 14: (104, 136, 128, 168, 67, 72, 64, -1, 1),
         15: (104, 136, 128, 168, 67, 72, 64, 2, 2)}


def tasks():
    for minor, l in sorted(layouts().items()):
        if minor not in TASKS:
            continue
        state, name_off, coro_off, size, fs, iframe, slot, yf, depth = TASKS[minor]
        segs, at = [], [0x20000]

        def put(data):
            addr = at[0]
            segs.append((addr, bytes(data)))
            at[0] += (len(data) + 64 + 15) & ~15
            return addr

        def obj(type_addr, size):
            b = bytearray(size)
            struct.pack_into("<qQ", b, 0, 1, type_addr)
            return b

        def typ(name):
            cstr = put(name.encode().ljust(64, b"\0"))
            b = obj(0, 512)
            struct.pack_into("<Q", b, l["type_name"], cstr)
            return put(b)

        def pystr(text):
            b = bytearray(str_object(l, text))
            struct.pack_into("<Q", b, l["ob_type"], str_type)
            return put(b)

        str_type, code_type = typ("str"), typ("code")
        coro_type, task_type = typ("coroutine"), typ("_asyncio.Task")
        fut = put(obj(typ("_asyncio.Future"), 112))
        it = obj(typ("_asyncio.FutureIter"), 24)
        struct.pack_into("<Q", it, 16, fut)
        it = put(it)

        def code(fname):
            b = obj(code_type, l["code_size"] + 40)
            struct.pack_into("<q", b, l["var_ob_size"], 20)
            for field in ("code_filename", "code_name", "code_qualname"):
                if l.get(field, -1) >= 0:
                    struct.pack_into("<Q", b, l[field], pystr(fname))
            bts = obj(typ("bytes"), l["bytes_sval"] + 1)
            struct.pack_into("<Q", b, l["code_linetable"], put(bts))
            struct.pack_into("<i", b, l["code_firstlineno"], 10)
            b[l["code_code_adaptive"] + 10:l["code_code_adaptive"] + 12] = bytes([151 if minor < 13 else 0, 3])
            return put(b)

        def coro(fname, awaits):
            b = obj(coro_type, iframe + 80 + 32)
            b[fs] = (yf if yf > -1 or minor >= 13 else -1) & 0xff
            c = code(fname)
            addr = at[0]
            struct.pack_into("<Q", b, iframe + l["frame_code"], c)
            struct.pack_into("<Q", b, iframe + l["frame_lasti"], c + l["code_code_adaptive"] + 8)
            local = 72 if minor < 14 else 80
            struct.pack_into("<Q", b, iframe + local, awaits)
            if minor < 14:
                struct.pack_into("<i", b, iframe + slot, depth)
            else:
                struct.pack_into("<Q", b, iframe + slot, addr + iframe + local + 8 * depth)
            return put(b)

        inner = coro("sleep", it)
        outer = coro("fetch_page", inner)
        t = obj(task_type, size)
        struct.pack_into("<I", t, state, 0)
        struct.pack_into("<Q", t, name_off, pystr("fetcher-1"))
        struct.pack_into("<Q", t, coro_off, outer)
        task = put(t)
        body = b"".join(struct.pack("<QII", a, len(d), 0) + d for a, d in segs)
        write(f"tasks-3.{minor}", bytes([4, minor - 11, 0]) + struct.pack("<Q", task) + body)


def bytecode():
    src = open(os.path.join(REPO, "src", "python", "opcodes_tables.c")).read()
    for minor, body in re.findall(r"opcodes_3_(\d+)\[256\] = \{(.*?)\};", src, re.S):
        ops = [(int(n), k, int(c)) for n, k, c in
               re.findall(r"\[(\d+)\] = OP\((OP_\w+), (\d+)\)", body)]
        ext = [n for n, k, _ in ops if k == "OP_EXTARG"][0]
        code = b""
        for n, kind, caches in sorted(ops, key=lambda o: o[1] == "OP_HIDDEN"):
            if kind == "OP_CALL":
                code += bytes([ext, 1])
            code += bytes([n, 3]) + bytes([0x5a, 0xa5]) * caches
        write(f"bytecode-3.{minor}", bytes([250, int(minor) - 7]) + code)


def switches():
    SWITCH, LOST, EXIT, COMM = 15, 2, 4, 3          # PERF_RECORD_*
    OUT, PREEMPT = 1 << 13, 1 << 14                 # header.misc
    SELF = 9

    def rec(kind, misc, body, tid, time):
        body += struct.pack("<IIQQ", tid, tid, time, 0)     # sample id: pid, tid, time, cpu
        r = struct.pack("<IHH", kind, misc, 8 + len(body)) + body
        return struct.pack("<H", len(r)) + r

    def switch(tid, misc, other, time):
        return rec(SWITCH, misc, struct.pack("<II", other, other), tid, time)
    data = (switch(1, 0, 0, 10) + switch(1, OUT | PREEMPT, SELF, 20) + switch(SELF, 0, 1, 21)
            + switch(2, 0, 0, 30) + switch(2, OUT, 0, 40) + switch(3, 0, 2, 25)
            + rec(EXIT, 0, struct.pack("<IIIIQ", 3, 1, 3, 1, 50), 3, 50)
            + switch(3, OUT, 0, 60)
            + rec(COMM, 0, struct.pack("<II", 4, 4) + b"name\0\0\0\0", 4, 70)
            + rec(LOST, 0, struct.pack("<QQ", 0, 5), 0, 80) + switch(4, 0, 0, 90))
    write("switches", bytes([240]) + data)


def main():
    os.makedirs(OUT, exist_ok=True)
    switches()
    bytecode()
    linetables()
    strings()
    debug_offsets()
    objects()
    tasks()


if __name__ == "__main__":
    main()
