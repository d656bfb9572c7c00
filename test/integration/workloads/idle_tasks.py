# SPDX-License-Identifier: MIT
"""asyncio's waiting time at scale (issue 13): N idle tasks ("idle-0" ..)
parked in `await asyncio.sleep` under park(), alive for the whole run, and
a busy task; writes {"ready": true} to INFO once every task has started.

usage: idle_tasks.py INFO N SECONDS
"""
import asyncio
import json
import sys
import time


async def park(until):
    await asyncio.sleep(until - time.monotonic())  # PARK-AWAIT


async def busy(until):
    while time.monotonic() < until:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 50e-6:
            pass
        await asyncio.sleep(0.001)


async def main(info, n, seconds):
    until = time.monotonic() + seconds
    idle = [asyncio.create_task(park(until + 1), name=f"idle-{i}") for i in range(n)]
    work = asyncio.create_task(busy(until), name="busy")
    await asyncio.sleep(0)
    with open(info, "w") as f:
        json.dump({"ready": True}, f)
    await work
    for t in idle:
        t.cancel()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3])))
