# SPDX-License-Identifier: MIT
"""A FastAPI app for the asyncio test (issue 13), run by uvicorn: /cpu
computes in compute() (about 2 ms of CPU per request), /slow awaits a slow
dependency that parks on `await asyncio.sleep(0.05)`.

usage: python3 -m uvicorn fastapi_app:app --port PORT
"""
import asyncio

from fastapi import FastAPI

app = FastAPI()


def compute(n):
    x = 0
    for i in range(n):
        x += i * i  # COMPUTE-LINE
    return x


async def slow_dependency():
    await asyncio.sleep(0.05)  # SLOW-AWAIT
    return 1


@app.get("/cpu")
async def cpu_route():
    return {"x": compute(40000)}


@app.get("/slow")
async def slow_route():
    return {"v": await slow_dependency()}  # SLOW-CALL
