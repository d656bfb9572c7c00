# SPDX-License-Identifier: MIT
"""What the multi-threaded benchmark targets share: THREADS threads (the
main thread included) each run walk(seed, end) until the monotonic time
end, and "ready" is printed once all of them run. Not a target itself."""

import sys
import threading
import time

_lock = threading.Lock()
_started = [0]


def started(threads):
    """Called by each thread when it starts its work: the last one prints
    "ready"."""
    with _lock:
        _started[0] += 1
        if _started[0] == threads:
            print("ready", flush=True)


def run(walk):
    """THREADS [LIFETIME] from the command line: walk(seed, threads, end)
    in THREADS threads, the last in the main thread."""
    threads = int(sys.argv[1])
    lifetime = float(sys.argv[2]) if len(sys.argv) > 2 else 600.0
    end = time.monotonic() + lifetime
    for seed in range(1, threads):
        threading.Thread(target=walk, args=(seed, threads, end), daemon=True).start()
    walk(0, threads, end)
