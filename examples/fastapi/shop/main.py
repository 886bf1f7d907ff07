"""A small shop API: a visit counter and an item cache in Redis, found through REDIS_URL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis.asyncio as redis
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from aloft.runtime import Secret, add_readiness_check, load_settings, outgoing_headers

log = logging.getLogger("shop")


@dataclass
class Settings:
    redis_url: str
    greeting: str = "welcome to the shop"
    item_ttl_seconds: int = 300
    max_slow_seconds: float = 30.0
    # Never printed: repr and logs show asterisks.
    admin_token: Secret | None = None


settings = load_settings(Settings)
state: dict[str, redis.Redis] = {}


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    # One client per worker process, created after the fork, closed on shutdown.
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=2)
    state["redis"] = client
    add_readiness_check("redis", client.ping)
    log.info("connected to redis")
    yield
    await client.aclose()
    log.info("shutdown complete")


app = FastAPI(title="shop", lifespan=lifespan)


class Item(BaseModel):
    name: str
    price_cents: int


@app.get("/")
async def index() -> dict[str, object]:
    visits = await state["redis"].incr("shop:visits")
    log.info("index visited", extra={"visits": visits})
    return {"message": settings.greeting, "visits": visits}


@app.put("/items/{item_id}")
async def put_item(item_id: int, item: Item) -> Item:
    await state["redis"].set(
        f"shop:item:{item_id}", item.model_dump_json(), ex=settings.item_ttl_seconds
    )
    return item


@app.get("/items/{item_id}")
async def get_item(item_id: int) -> Item:
    raw = await state["redis"].get(f"shop:item:{item_id}")
    if raw is None:
        raise HTTPException(status_code=404, detail="no such item")
    return Item.model_validate_json(raw)


@app.get("/report")
async def report(seconds: float = 1.0) -> dict[str, object]:
    """A slow endpoint (a report that takes a while), used to see in-flight requests finish."""
    await asyncio.sleep(min(max(seconds, 0.0), settings.max_slow_seconds))
    return {"report": "done", "seconds": seconds, "trace": outgoing_headers()}


@app.get("/fail")
async def fail() -> None:
    raise RuntimeError("this endpoint always fails, to show error logs")
