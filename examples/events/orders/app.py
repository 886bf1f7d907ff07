"""The service's HTTP side: how many orders have been charged."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

import redis

_redis = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = json.dumps({"charged": _redis.llen("orders:charged")}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
