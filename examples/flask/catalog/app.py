"""A catalog API: products cached in Redis (found through REDIS_URL), a page-view counter."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

import redis
from flask import Flask, abort, jsonify, request

from aloft.runtime import add_readiness_check, load_settings

log = logging.getLogger("catalog")


@dataclass
class Settings:
    redis_url: str
    cache_ttl_seconds: int = 120
    max_slow_seconds: float = 30.0


settings = load_settings(Settings)
# redis-py's pool notices a fork and reconnects in each worker, so one module-level client is safe.
store = redis.Redis.from_url(settings.redis_url, socket_timeout=2)
add_readiness_check("redis", store.ping)

app = Flask(__name__)


@app.get("/")
def index() -> object:
    views = store.incr("catalog:views")
    log.info("catalog index", extra={"views": views})
    return jsonify(service="catalog", views=views)


@app.put("/products/<int:product_id>")
def put_product(product_id: int) -> object:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "name" not in body:
        abort(400, description="send a JSON object with a name")
    store.set(f"catalog:product:{product_id}", json.dumps(body), ex=settings.cache_ttl_seconds)
    return jsonify(body)


@app.get("/products/<int:product_id>")
def get_product(product_id: int) -> object:
    raw = store.get(f"catalog:product:{product_id}")
    if raw is None:
        abort(404)
    return jsonify(json.loads(raw))


@app.get("/report")
def report() -> object:
    seconds = min(max(float(request.args.get("seconds", "1")), 0.0), settings.max_slow_seconds)
    time.sleep(seconds)
    return jsonify(report="done", seconds=seconds)


@app.get("/fail")
def fail() -> object:
    raise RuntimeError("this endpoint always fails, to show error logs")
