# SPDX-License-Identifier: MIT
# N idle asyncio tasks (parked in asyncio.sleep) beside one task burning
# CPU between sleep(0)s: the task walker's cost with and without them.
import asyncio
import sys


def burn(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


async def idle():
    await asyncio.sleep(3600)


async def crunch():
    while True:
        burn(20000)
        await asyncio.sleep(0)


async def main(n):
    tasks = [asyncio.create_task(idle(), name=f"idle-{i}") for i in range(n)]
    cruncher = asyncio.create_task(crunch(), name="cruncher")
    await asyncio.sleep(0.1)
    print("ready", flush=True)
    await asyncio.gather(cruncher, *tasks)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000))
