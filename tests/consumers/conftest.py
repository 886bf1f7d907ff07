"""Fixtures of the consumer tests: SQS queues on the moto server with a redrive policy, and the
example handler (examples/events) importable against the test Redis."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from queuekit import EVENTS, Queues

from testkit import RedisServer


@pytest.fixture
def sqs(aws_env: str) -> Any:
    import boto3

    return boto3.client("sqs")


@pytest.fixture
def queues(sqs: Any) -> Queues:
    return Queues(sqs, visibility=1, max_receive_count=2)


@pytest.fixture
def orders(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ModuleType, Any]]:
    """The example's handler module, on a clean Redis database; (module, redis client)."""
    import redis

    url = redis_server.url(7)
    client = redis.Redis.from_url(url)
    client.flushdb()
    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.syspath_prepend(str(EVENTS))
    sys.modules.pop("orders.handler", None)
    module = importlib.import_module("orders.handler")
    try:
        yield module, client
    finally:
        sys.modules.pop("orders.handler", None)
        sys.modules.pop("orders", None)
        client.flushdb()
