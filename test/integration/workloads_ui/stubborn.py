# SPDX-License-Identifier: MIT
"""A program that is hard to stop and talks: for the tests of the
program's output in the live view and of quitting.

usage: stubborn.py PIDFILE MODE
  MODE "threads": prints a line on stdout and one on stderr, starts a
      grandchild process that ignores SIGINT (its pid is written to PIDFILE)
      and a non-daemon thread that never ends, so that SIGINT alone cannot
      end the program (the interpreter waits for the thread at exit);
      the main thread spins in busy() until killed.
  MODE "crash": prints, spins ~0.3 s of CPU time in busy(), then raises
      ZeroDivisionError (exit status 1 with a traceback on stderr).
  MODE "quiet": prints nothing and spins in busy(); SIGINT ends it silently
      (status 0, no KeyboardInterrupt traceback).
A safety cap ends everything after 120 s.
"""
import os
import signal
import subprocess
import sys
import threading
import time

START = time.time()


def busy(cpu_seconds):
    deadline = time.thread_time() + cpu_seconds
    while time.thread_time() < deadline and time.time() - START < 120:
        pass


def forever():
    while time.time() - START < 120:
        time.sleep(0.05)


def main():
    pidfile, mode = sys.argv[1], sys.argv[2]
    if mode == "threads":
        print("hello from stdout", flush=True)
        print("hello from stderr", file=sys.stderr, flush=True)
        child = subprocess.Popen([sys.executable, "-c",
                                  "import signal, time\n"
                                  "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                  "t = time.time()\n"
                                  "while time.time() - t < 120: time.sleep(0.05)\n"])
        with open(pidfile + ".tmp", "w") as f:
            f.write(str(child.pid))
        os.rename(pidfile + ".tmp", pidfile)
        threading.Thread(target=forever, name="lingerer").start()
        busy(120)
    elif mode == "crash":
        print("about to fail", flush=True)
        busy(0.3)
        1 / 0  # CRASH-LINE
    else:
        signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
        busy(120)


main()
