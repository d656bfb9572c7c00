# SPDX-License-Identifier: MIT
"""Creates and ends threads continuously for SECONDS: up to 16 at a time,
each computing in short_lived() for about a millisecond, so thread states
are allocated, linked, unlinked and freed all the time. Writes the number
of threads it ran to INFO as JSON.

usage: thread_churn.py INFO SECONDS"""
import json
import sys
import threading
import time


def short_lived():
    deadline = time.perf_counter() + 0.001
    while time.perf_counter() < deadline: pass  # SHORT-LIVED-LINE


def main():
    info, seconds = sys.argv[1], float(sys.argv[2])
    end = time.monotonic() + seconds
    live, started = [], 0
    while time.monotonic() < end:
        live = [t for t in live if t.is_alive()]
        while len(live) < 16:
            t = threading.Thread(target=short_lived)
            t.start()
            live.append(t)
            started += 1
        time.sleep(0.0002)
    for t in live:
        t.join()
    with open(info, "w") as f:
        json.dump({"threads": started}, f)


if __name__ == "__main__":
    main()
