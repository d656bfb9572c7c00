# SPDX-License-Identifier: MIT
"""Known functions at known lines: <module> -> main -> caller -> Worker.spin.

usage: lines.py INFO SECONDS
Worker.spin spins on the HOT-LINE (the whole loop is on that one line) for
SECONDS; every caller waits on its marked call line. The test finds the
line numbers from the markers, so editing this file cannot break it.
"""
import json
import os
import sys
import threading
import time


class Worker:
    def spin(self, deadline):
        n = 0
        while time.perf_counter() < deadline: n += 1  # HOT-LINE
        return n


def caller(worker, seconds):
    deadline = time.perf_counter() + seconds
    return worker.spin(deadline)  # CALL-LINE


def main():
    info_path, seconds = sys.argv[1], float(sys.argv[2])
    caller(Worker(), seconds)  # MAIN-CALL-LINE
    with open(info_path, "w") as f:
        json.dump({"pid": os.getpid(), "main_tid": threading.get_native_id()}, f)


if __name__ == "__main__":
    main()  # MODULE-CALL-LINE
