# SPDX-License-Identifier: MIT
"""An ASGI app for `uvicorn --workers 2` (test_procs.py): each request
computes in busy_handler() for about 5 ms, and the worker appends
"PID CPU_SECONDS" (the CPU time that took) to $PROCS_REPORT."""
import os
import time

REPORT = os.environ["PROCS_REPORT"]


def busy_handler():
    start = time.process_time()
    x = 0
    while time.process_time() - start < 0.005:
        for _ in range(100):
            x += 1
    cpu = time.process_time() - start
    fd = os.open(REPORT, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, f"{os.getpid()} {cpu:.6f}\n".encode())
    os.close(fd)


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    busy_handler()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})
