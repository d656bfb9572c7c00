# SPDX-License-Identifier: MIT
"""A benchmark target: an asyncio program with one busy task (computing
50 us, then `await asyncio.sleep(0.001)`, over and over) and N idle tasks
parked in `await asyncio.sleep(3600)` under a few coroutine levels. Prints
"ready" once every task has started, then lives LIFETIME seconds.

usage: tasks.py N LIFETIME
"""
import asyncio
import sys
import time


async def parked(level):
    if level:
        return await parked(level - 1)
    await asyncio.sleep(3600)


async def busy(until):
    while time.monotonic() < until:
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 50e-6:
            pass
        await asyncio.sleep(0.001)


async def main(n, lifetime):
    until = time.monotonic() + lifetime
    idle = [asyncio.create_task(parked(3), name=f"idle-{i}") for i in range(n)]
    work = asyncio.create_task(busy(until), name="busy")
    await asyncio.sleep(0.2)
    print("ready", flush=True)
    await work
    for t in idle:
        t.cancel()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
