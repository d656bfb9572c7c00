# SPDX-License-Identifier: MIT
"""An asyncio program whose tasks do known things (issue 13): three
fetchers ("fetcher-1..3") parked in `await asyncio.sleep` inside
fetch_page; a "cruncher" burning CPU in crunch() between
`await asyncio.sleep(0)`; a "handler" awaiting a gather of two children
("child-1", "child-2") that burn CPU in work() between sleeps. Each task
that burns measures its own CPU time (time.thread_time around the burn),
the truth the profile's task shares are compared with.

usage: asyncapp.py INFO SECONDS [uvloop]  (uvloop: run on uvloop's event loop)
"""
import asyncio
import json
import sys
import threading
import time

cpu = {"cruncher": 0.0, "child-1": 0.0, "child-2": 0.0}


def burn(name, seconds):
    t0 = time.thread_time()
    x = 0
    while time.thread_time() - t0 < seconds:
        x += 1  # BURN-LINE
    cpu[name] += time.thread_time() - t0


async def fetch_page(until):
    while time.monotonic() < until:
        await asyncio.sleep(0.05)  # FETCH-AWAIT


async def crunch(until):
    while time.monotonic() < until:
        burn("cruncher", 0.002)  # CRUNCH-CALL
        await asyncio.sleep(0)


async def work(name, until):
    while time.monotonic() < until:
        burn(name, 0.001)  # WORK-CALL
        await asyncio.sleep(0.001)


async def handle(until):
    children = [asyncio.create_task(work(f"child-{i}", until), name=f"child-{i}") for i in (1, 2)]
    await asyncio.gather(*children)  # HANDLER-AWAIT


async def main(info_path, seconds):
    until = time.monotonic() + seconds
    tasks = [asyncio.create_task(fetch_page(until), name=f"fetcher-{i}") for i in (1, 2, 3)]
    tasks.append(asyncio.create_task(crunch(until), name="cruncher"))
    tasks.append(asyncio.create_task(handle(until), name="handler"))
    await asyncio.gather(*tasks)
    with open(info_path, "w") as f:
        json.dump({"cpu": cpu, "tid": threading.get_native_id()}, f)


if __name__ == "__main__":
    if sys.argv[3:] == ["uvloop"]:
        import uvloop
        uvloop.install()
    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
