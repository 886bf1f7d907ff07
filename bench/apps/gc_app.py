"""A FastAPI app for bench/gc_freeze_memory.py, with an endpoint that runs a full collection.

A long-running worker eventually runs full (generation 2) collections on its own; `/collect`
makes that happen now, so the benchmark sees the steady state in seconds.
"""

from __future__ import annotations

import gc
from typing import Any

import fastapi.openapi.utils  # noqa: F401  (a realistic amount of imported code)
import pydantic
from fastapi import FastAPI

app = FastAPI()


class Item(pydantic.BaseModel):
    id: int
    name: str


@app.get("/items/{item_id}")
async def item(item_id: int) -> Item:
    return Item(id=item_id, name="pen")


@app.get("/collect")
async def collect() -> dict[str, Any]:
    return {"collected": gc.collect()}
