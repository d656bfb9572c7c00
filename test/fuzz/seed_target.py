# SPDX-License-Identifier: MIT
"""The process make_seeds.py snapshots: threads with non-ASCII names, each
parked in a few frames of its own, and a main thread parked under a
recursion through a method, a generator, a lambda and functions with
non-ASCII names. Prints "ready" once everything is parked; exits after
60 s, or when stdin closes."""
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
    return (lambda: park())()


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
