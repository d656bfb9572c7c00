# SPDX-License-Identifier: MIT
"""Writes the real and effective user and group ids and the supplementary
groups it runs with to OUT as JSON, then computes in work() for SECONDS.

usage: whoami.py OUT SECONDS"""
import json
import os
import sys
import time


def work(deadline):
    while time.perf_counter() < deadline: pass  # WORK-LINE


def main():
    out, seconds = sys.argv[1], float(sys.argv[2])
    with open(out, "w") as f:
        json.dump({"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
                   "egid": os.getegid(), "groups": os.getgroups()}, f)
    work(time.perf_counter() + seconds)


if __name__ == "__main__":
    main()
