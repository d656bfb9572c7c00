# SPDX-License-Identifier: MIT
"""Three named threads, each with functions only it runs: MainThread in
main_thread_work(), "ui-worker" in worker_thread_work() and "ui-sleeper"
waiting in sleeper_thread_wait(). Ends by itself after 120 s.

usage: threads.py
"""
import threading
import time

END = time.monotonic() + 120


def main_thread_work():
    deadline = time.perf_counter() + 0.005
    while time.perf_counter() < deadline: pass


def worker_thread_work():
    deadline = time.perf_counter() + 0.005
    while time.perf_counter() < deadline: pass


def sleeper_thread_wait():
    time.sleep(0.05)


def run(step):
    while time.monotonic() < END:
        step()


def main():
    threading.Thread(name="ui-worker", target=run, args=(worker_thread_work,), daemon=True).start()
    threading.Thread(name="ui-sleeper", target=run, args=(sleeper_thread_wait,), daemon=True).start()
    run(main_thread_work)


if __name__ == "__main__":
    main()
