# SPDX-License-Identifier: MIT
"""Prints "ready <pid>", computes in spin() for SECONDS, then ends as HOW
says: "exit" (a normal exit, status 0) or "kill" (SIGKILL to itself, in
the middle of running Python code).

usage: spin_exit.py SECONDS HOW"""
import os
import signal
import sys
import time


def spin(deadline):
    while time.perf_counter() < deadline: pass  # SPIN-LINE


def main():
    seconds, how = float(sys.argv[1]), sys.argv[2]
    print("ready %d" % os.getpid(), flush=True)
    spin(time.perf_counter() + seconds)
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    sys.exit(0)


if __name__ == "__main__":
    main()
