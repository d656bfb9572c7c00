# SPDX-License-Identifier: MIT
"""Threads in every state the modes tell apart: two pure-Python spinners
("spin-1", "spin-2": on a CPU when scheduled, holding the GIL in turn), a
hasher ("hasher": hashlib releases the GIL while it hashes a large buffer,
so it is on a CPU without the GIL), and MainThread asleep (neither).
INFO gets each thread's native id ("tids"), the CPU time MainThread
had in all (time.thread_time(): start-up included), in seconds ("main_cpu"),
and the wall time from the process's start to MainThread's first nap
("main_startup", seconds; the kernel's start time has clock-tick
resolution): until then MainThread runs or waits for a CPU holding the GIL,
which a machine busy with other work stretches.

usage: modes.py INFO SECONDS
"""
import hashlib
import json
import os
import sys
import threading
import time

tids = {}


def spin(until):
    tids[threading.current_thread().name] = threading.get_native_id()
    x = 0
    while time.perf_counter() < until:
        x += 1  # SPIN-LINE


def hasher(until):
    tids[threading.current_thread().name] = threading.get_native_id()
    data = b"x" * (16 << 20)
    while time.perf_counter() < until:
        hashlib.sha256(data).digest()  # HASH-LINE


def since_start():
    """Seconds since this process started (/proc/self/stat's starttime)."""
    with open("/proc/self/stat") as f:
        start = int(f.read().rsplit(")", 1)[1].split()[19])
    return time.clock_gettime(time.CLOCK_BOOTTIME) - start / os.sysconf("SC_CLK_TCK")


def main():
    info_path, seconds = sys.argv[1], float(sys.argv[2])
    tids["MainThread"] = threading.get_native_id()
    until = time.perf_counter() + seconds
    workers = [threading.Thread(name=f"spin-{i}", target=spin, args=(until,)) for i in (1, 2)]
    workers.append(threading.Thread(name="hasher", target=hasher, args=(until,)))
    for w in workers:
        w.start()
    startup = since_start()
    while time.perf_counter() < until:
        time.sleep(0.05)  # SLEEP-LINE
    for w in workers:
        w.join()
    with open(info_path, "w") as f:
        json.dump({"tids": tids, "main_cpu": time.thread_time(), "main_startup": startup}, f)


if __name__ == "__main__":
    main()
