#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of fuzz_ncapture (seeds/ncapture/): perf sample
records as the capture's events write them (registers and a stack copy of
several sizes, none, and refused register ABIs), and mmap rings holding
samples, a PERF_RECORD_LOST and a record of another type, some wrapping
round the end of the data area. The input format is described at the top
of fuzz_ncapture.c.
usage: make_ncapture_seeds.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "seeds", "ncapture")
PAGE = 4096
NREGS = 17
ABI_NONE, ABI_32, ABI_64 = 0, 1, 2
RECORD_LOST, RECORD_COMM, RECORD_SAMPLE = 2, 3, 9


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def sample(tid=0, abi=ABI_64, size=256, dyn=200):
    """The body of a sample record (after its header)."""
    b = struct.pack("<IIQQ", 1234, tid, 987654321, abi)
    if abi != ABI_NONE:
        b += struct.pack("<%dQ" % NREGS, *[0x7f0000001000 + 8 * i for i in range(NREGS)])
    b += struct.pack("<Q", size)
    if size:
        b += bytes(i & 0xff for i in range(size)) + struct.pack("<Q", dyn)
    return b


def record(rtype, body):
    return struct.pack("<IHH", rtype, 0, 8 + len(body)) + body


def ring(pages, records, head, last=None, flags=0, extra=b""):
    """A ring written backward: records (newest first) from position head
    (any u64) up; the last take saw the ring at last (default: just above
    the records: all of them are new)."""
    size = PAGE * pages
    data = bytearray(size)
    pos = head
    for r in records:
        for i, byte in enumerate(r):
            data[(pos + i) % size] = byte
        pos += len(r)
    if last is None:
        last = pos
    sel = {1: 0, 2: 1, 4: 2, 8: 3}[pages]
    return bytes([1, sel, flags]) + struct.pack("<QQ", head % (1 << 64), last % (1 << 64)) + extra \
        + bytes(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    write("record-small", b"\0" + sample())
    write("record-page", b"\0" + sample(size=4096, dyn=4096))
    write("record-full", b"\0" + sample(size=32768, dyn=20000))
    write("record-nostack", b"\0" + sample(size=0))
    write("record-abi-none", b"\0" + sample(abi=ABI_NONE, size=0))
    write("record-abi-32", b"\0" + sample(abi=ABI_32))
    write("record-dyn-beyond", b"\0" + sample(size=64, dyn=72))
    lost = record(RECORD_LOST, struct.pack("<QQ", 7, 3))
    comm = record(RECORD_COMM, struct.pack("<II", 1234, 0) + b"python3\0")
    two = [record(RECORD_SAMPLE, sample(size=512, dyn=512)), lost, comm,
           record(RECORD_SAMPLE, sample(size=1024, dyn=800))]
    write("ring-two-samples", ring(2, two, -3000))
    write("ring-wrapped", ring(2, two, 3 * PAGE * 2 - 700))
    write("ring-one-page", ring(1, [record(RECORD_SAMPLE, sample(size=1024, dyn=1024)), lost], -2000))
    write("ring-eight-pages", ring(8, [record(RECORD_SAMPLE, sample(size=8192, dyn=8000))] * 2, -20000))
    write("ring-written-round", ring(1, [record(RECORD_SAMPLE, sample(size=1024, dyn=1024))] * 3, -9000,
                                     last=0))
    write("ring-nothing-new", ring(4, two, -5000, last=-5000))
    write("ring-other-tid", ring(2, [record(RECORD_SAMPLE, sample(tid=5))], -1000))
    write("ring-offsets", ring(2, two, -3000, flags=3, extra=struct.pack("<QQ", PAGE, PAGE * 2)))


if __name__ == "__main__":
    main()
