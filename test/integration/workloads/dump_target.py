# SPDX-License-Identifier: MIT
"""Threads in known places for --dump: "waiter" blocked on an Event in
wait_here(), "spinner" computing in spin_here(), MainThread blocked on an
Event in main_wait(), and "evil" (when asked) with a hostile name, blocked
like the waiter. Prints "ready PID" with the threads' ids as JSON once all
are in place; exits after 120 s at the latest.

usage: dump_target.py [HOSTILE_NAME]
"""
import json
import os
import sys
import threading
import time

stop = threading.Event()
spinning = True
tids = {}


def wait_here(event, started):
    tids[threading.current_thread().name] = threading.get_native_id()
    started.set()
    event.wait()  # WAIT-LINE


def spin_here(started):
    tids["spinner"] = threading.get_native_id()
    started.set()
    n = 0
    while spinning: n += 1  # SPIN-LINE


def main_wait():
    stop.wait(120)  # MAIN-LINE


def start(name, target, *args):
    started = threading.Event()
    t = threading.Thread(name=name, target=target, args=args + (started,), daemon=True)
    t.start()
    started.wait()


def main():
    start("waiter", wait_here, stop)
    start("spinner", spin_here)
    if len(sys.argv) > 1:
        start(sys.argv[1], wait_here, stop)
    tids["MainThread"] = threading.get_native_id()
    time.sleep(0.2)      # the spinner past its first lines, the waiters blocked
    print("ready", os.getpid(), json.dumps(tids), flush=True)
    main_wait()
    global spinning
    spinning = False
    stop.set()


if __name__ == "__main__":
    main()
