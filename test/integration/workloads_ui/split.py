# SPDX-License-Identifier: MIT
"""Threads that each spend their CPU time in one place: Python bytecode
(spin), C code a line calls (hash_loop: hashlib on a large buffer), the
kernel (read_loop: reads of /dev/urandom). The main thread sleeps."""
import hashlib
import os
import sys
import threading
import time

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 4.0
stop = threading.Event()


def spin():
    x = 0
    while not stop.is_set():
        for i in range(2000):
            x += i * i


def hash_loop():
    buf = b"\x5a" * (1 << 20)
    while not stop.is_set():
        hashlib.sha256(buf).digest()


def read_loop():
    fd = os.open("/dev/urandom", os.O_RDONLY)
    while not stop.is_set():
        os.read(fd, 1 << 16)


def main():
    threads = [threading.Thread(target=f, name=f.__name__) for f in (spin, hash_loop, read_loop)]
    for t in threads:
        t.start()
    time.sleep(SECONDS)
    stop.set()
    for t in threads:
        t.join()
    print("done", flush=True)


main()
