# SPDX-License-Identifier: MIT
"""Threads that mostly do not run, beside one that always does: the
sampler copies the stacks of the still ones (walker_still).

- spinner: computes all the time (the process is read every round);
- 4 parked threads: wait on an event in park() the whole run;
- napper: sleeps NAP seconds in nap_a(), then NAP seconds in nap_b(),
  over and over (it runs a moment between naps: a stack copied across a
  move would keep it in the nap it left).

usage: still.py INFO SECONDS
INFO: a JSON file with the napper's count of naps of each kind.
"""
import json
import sys
import threading
import time

NAP = 0.05
stop = threading.Event()
naps = {"nap_a": 0, "nap_b": 0}


def spin():
    x = 0
    while not stop.is_set():
        for i in range(1000):
            x += i


def park():
    stop.wait()


def nap_a():
    naps["nap_a"] += 1
    time.sleep(NAP)


def nap_b():
    naps["nap_b"] += 1
    time.sleep(NAP)


def napper():
    while not stop.is_set():
        nap_a()
        nap_b()


def main():
    info, seconds = sys.argv[1], float(sys.argv[2])
    threads = [threading.Thread(target=spin, name="spinner"),
               threading.Thread(target=napper, name="napper")]
    threads += [threading.Thread(target=park, name=f"parked-{i}") for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    with open(info, "w") as f:
        json.dump(naps, f)


main()
