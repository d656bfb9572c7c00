# A known asyncio program for --async: three fetchers parked in
# asyncio.sleep inside fetch_page, a cruncher burning CPU between
# sleep(0)s, and a handler awaiting a gather of two child tasks.
import asyncio
import sys


async def fetch_page(n):
    while True:
        await asyncio.sleep(3600)


def burn(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


async def crunch():
    while True:
        burn(20000)
        await asyncio.sleep(0)


async def child_work():
    await asyncio.sleep(3600)


async def handle():
    await asyncio.gather(asyncio.create_task(child_work(), name="child-1"),
                         asyncio.create_task(child_work(), name="child-2"))


async def main():
    tasks = [asyncio.create_task(fetch_page(i), name=f"fetcher-{i}") for i in (1, 2, 3)]
    tasks.append(asyncio.create_task(crunch(), name="cruncher"))
    tasks.append(asyncio.create_task(handle(), name="handler"))
    await asyncio.sleep(0.1)
    print("ready", flush=True)
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "idle":
        # no tasks at all: an asyncio program before it makes any
        print("ready", flush=True)
        burn(10**10)
    asyncio.run(main())
