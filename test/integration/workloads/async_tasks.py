# SPDX-License-Identifier: MIT
"""A known asyncio program for --dump --async (issue 13): three fetchers
("fetcher-1..3") parked in asyncio.sleep inside fetch_page, a "cruncher"
burning CPU in burn() between sleep(0)s, and a "handler" awaiting a
gather of two children ("child-1", "child-2") parked in asyncio.sleep.
Prints "ready" once every task has started."""
import asyncio


async def fetch_page():
    while True:
        await asyncio.sleep(3600)  # FETCH-AWAIT


def burn(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


async def crunch():
    while True:
        burn(20000)  # CRUNCH-CALL
        await asyncio.sleep(0)


async def child_work():
    await asyncio.sleep(3600)  # CHILD-AWAIT


async def handle():
    await asyncio.gather(asyncio.create_task(child_work(), name="child-1"),  # HANDLER-AWAIT
                         asyncio.create_task(child_work(), name="child-2"))


async def main():
    tasks = [asyncio.create_task(fetch_page(), name=f"fetcher-{i}") for i in (1, 2, 3)]
    tasks.append(asyncio.create_task(crunch(), name="cruncher"))
    tasks.append(asyncio.create_task(handle(), name="handler"))
    await asyncio.sleep(0.1)
    print("ready", flush=True)
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    asyncio.run(main())
