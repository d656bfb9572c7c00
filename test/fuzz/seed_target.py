# SPDX-License-Identifier: MIT
"""The process make_seeds.py snapshots: threads with non-ASCII names, each
parked in a few frames of its own, and a main thread parked under a
recursion through a generator, a lambda and a class's __init__ (the other
threads go through a method and functions with non-ASCII names). Prints
"ready" once everything is parked; exits after 60 s, or when stdin closes."""
import sys
import threading

stop = threading.Event()


class Worker:
    def run(self, depth):
        if depth:
            return self.run(depth - 1)
        stop.wait(60)


def функция(n):
    return 線程(n)


def 線程(n):
    return worker_body(n)


def worker_body(n):
    Worker().run(n)


def gen(depth):
    yield recurse(depth)


def recurse(depth):
    if depth:
        return recurse(depth - 1)
    return (lambda: park_in_init())()


calls = [0]       # not a class attribute: setting one would deoptimise the call


class Parker:
    def __init__(self):
        calls[0] += 1
        if calls[0] == 64:
            park()


def park_in_init():
    # Warm the call site up first: 3.13+ then call __init__ through a
    # specialised instruction that pushes an interpreter shim frame
    # (_Py_InitCleanup) under it, which the walker must leave out.
    for _ in range(64):
        Parker()


def park():
    parked.wait()
    ready_line()
    sys.stdin.read()


def ready_line():
    print("ready", flush=True)


parked = threading.Barrier(4)


def thread_main(n):
    parked.wait()
    функция(n)


names = ["worker-\u03b1", "\u7ebf\u7a0b-2", "spool \U0001f9f5"]
threads = [threading.Thread(target=thread_main, args=(3 + i,), name=n, daemon=True)
           for i, n in enumerate(names)]
for t in threads:
    t.start()
next(gen(20))
