# SPDX-License-Identifier: MIT
"""Benchmark target: THREADS threads (the main thread is one of them), each
busy in a leaf at exactly DEPTH Python frames, <module> or the threading
bootstrap frames included. Prints "ready" once every thread is in its leaf
and busy, then runs until killed or until LIFETIME seconds have passed. No other
Python thread exists, so every sampled stack is a busy one.

    python deep.py DEPTH THREADS [LIFETIME]
"""

import sys
import threading
import time

lock = threading.Lock()
go = threading.Event()
state = {"arrived": 0, "running": 0, "threads": 1, "end": 0.0}


def depth_here():
    """Frames on the calling thread's stack, the caller's own included."""
    f, n = sys._getframe(1), 0
    while f is not None:
        n, f = n + 1, f.f_back
    return n


def leaf():
    # Every thread waits here until the last one has arrived: started busy,
    # 100 threads would take many GIL switch intervals to start each other.
    with lock:
        state["arrived"] += 1
        if state["arrived"] == state["threads"]:
            go.set()
    go.wait()
    with lock:
        state["running"] += 1
        if state["running"] == state["threads"]:
            print("ready", flush=True)
    x, end = 0, state["end"]
    while time.monotonic() < end:
        for i in range(2000):
            x += i
    return x


def descend(n):
    if n > 1:
        return descend(n - 1)
    return leaf()


def busy(depth):
    # This frame is frame number depth_here(); descend(k) adds k frames and
    # leaf() one more.
    descend(max(1, depth - depth_here() - 1))


def main():
    depth, threads = int(sys.argv[1]), int(sys.argv[2])
    lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 600.0
    state["threads"], state["end"] = threads, time.monotonic() + lifetime
    for _ in range(threads - 1):
        threading.Thread(target=busy, args=(depth,), daemon=True).start()
    busy(depth)


if __name__ == "__main__":
    main()
