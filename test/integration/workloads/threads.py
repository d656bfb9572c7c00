# SPDX-License-Identifier: MIT
"""A named thread: "cruncher" computes in crunch(), a function only it runs,
while MainThread waits for it in join().

usage: threads.py INFO SECONDS
"""
import json
import os
import sys
import threading
import time

tids = {}


def crunch(seconds):
    tids["cruncher"] = threading.get_native_id()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline: pass  # CRUNCH-LINE


def main():
    info_path, seconds = sys.argv[1], float(sys.argv[2])
    worker = threading.Thread(name="cruncher", target=crunch, args=(seconds,))
    worker.start()
    worker.join()  # JOIN-LINE
    with open(info_path, "w") as f:
        json.dump({"pid": os.getpid(), "main_tid": threading.get_native_id(),
                   "cruncher_tid": tids["cruncher"]}, f)


if __name__ == "__main__":
    main()
