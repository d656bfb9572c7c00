# SPDX-License-Identifier: MIT
"""A program that spends most of its time in the standard library called
from its own functions, for the "your code first" lens: encode_records()
(~65 % of the loop) in json.dumps / json.loads, find_words() (~25 %) in
re.findall, tally() (~10 %) in its own loop. Without the lens the hottest
frames are json's and re's; with it, the time is encode_records' and
find_words' own. Ends by itself after 120 s.

usage: yourcode.py
"""
import json
import re
import time

RECORDS = [{"id": i, "name": "item-%d" % i, "tags": ["a", "b", str(i)], "score": i * 0.5}
           for i in range(300)]
TEXT = " ".join("word%d-%d" % (i, i * 7) for i in range(2000))


def encode_records():
    deadline = time.perf_counter() + 0.0065
    while time.perf_counter() < deadline:
        json.loads(json.dumps(RECORDS))  # JSON-LINE


def find_words():
    deadline = time.perf_counter() + 0.0025
    while time.perf_counter() < deadline:
        re.findall(r"(\w+)-(\d+)", TEXT)  # RE-LINE


def tally():
    deadline = time.perf_counter() + 0.001
    n = 0
    while time.perf_counter() < deadline:
        n += 1
    return n


def main():
    end = time.monotonic() + 120
    while time.monotonic() < end:
        encode_records()
        find_words()
        tally()


if __name__ == "__main__":
    main()
