# SPDX-License-Identifier: MIT
"""Threads whose current instructions are known, for walk_frame.in_call
(--dump --json frames' "in_call"): "sleeper" parked in time.sleep (a C
function) called from sleep_here(), that call site warmed up first so 3.11+
specialize it; "spinner" in spin_here()'s loop, which calls nothing;
"wide" in block(), called from wide_caller() with 300 arguments (an
EXTENDED_ARG call on 3.8/3.9, CALL_FUNCTION_EX after); MainThread in
Event.wait under inner() <- outer() <- main(), a chain of Python calls.
Prints "ready PID" with the threads' ids as JSON once all are started;
exits after 120 s at the latest."""
import json
import os
import threading
import time

stop = threading.Event()
spinning = True
tids = {}


def sleep_here(t):
    time.sleep(t)  # SLEEP-LINE


def sleeper(started):
    tids["sleeper"] = threading.get_native_id()
    for _ in range(300):
        sleep_here(0)
    started.set()
    sleep_here(120)


def spin_here(started):
    tids["spinner"] = threading.get_native_id()
    started.set()
    n = 0
    while spinning: n += 1  # SPIN-LINE


def block(*args):
    stop.wait(120)


exec("def wide_caller(started):\n"
     "    tids['wide'] = threading.get_native_id()\n"
     "    started.set()\n"
     "    block(" + ", ".join(str(i) for i in range(300)) + ")\n")


def inner():
    stop.wait(120)  # INNER-LINE


def outer():
    inner()  # OUTER-LINE


def main():
    for name, target in (("sleeper", sleeper), ("spinner", spin_here), ("wide", wide_caller)):
        started = threading.Event()
        threading.Thread(name=name, target=target, args=(started,), daemon=True).start()
        started.wait()
    tids["MainThread"] = threading.get_native_id()
    print("ready", os.getpid(), json.dumps(tids), flush=True)
    outer()  # MAIN-LINE
    global spinning
    spinning = False


if __name__ == "__main__":
    main()
