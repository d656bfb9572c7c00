# SPDX-License-Identifier: MIT
"""Memory that grows in one known place: build_list() builds a list of
about 200 MB (ints and the list itself), which is dropped after a pause
while the program idles in a function that allocates nothing.

usage: memory.py INFO ROUNDS
"""
import json
import os
import sys
import time


def build_list():
    return [i * 3 for i in range(6_000_000)]  # BUILD-LINE


def pause():
    time.sleep(0.4)


def main():
    info_path, rounds = sys.argv[1], int(sys.argv[2])
    pause()
    for _ in range(rounds):
        data = build_list()
        pause()
        del data  # DEL-LINE
        pause()
    with open(info_path, "w") as f:
        json.dump({"pid": os.getpid()}, f)


if __name__ == "__main__":
    main()
