"""One SQS handler for both targets: Lambda calls `handler`, and so does the consumer pod that
`aloft k8s render` writes for the same [tool.aloft.lambda.functions.worker].

An order is charged once however often SQS delivers it (idempotency in Redis); a body with
`"fail": true` raises, so SQS redelivers it until the redrive policy moves it to the DLQ.
"""

from __future__ import annotations

import os
import time
from typing import Any

import redis

from aloft.runtime.aws_lambda import RedisStore, SQSRecord, idempotent, lambda_handler

handler = lambda_handler()
_redis = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
_store = RedisStore(_redis, prefix="orders:idempotency:")


@handler.on_sqs
def on_order(record: SQSRecord) -> None:
    charge(record.json())


@idempotent(_store, key="order_id")
def charge(order: dict[str, Any]) -> dict[str, Any]:
    """The side effect: one entry per order charged (what the tests count)."""
    _redis.rpush("orders:attempts", order["order_id"])
    if order.get("fail"):
        raise ValueError(f"order {order['order_id']} cannot be charged")
    time.sleep(float(order.get("work", 0)))
    _redis.rpush("orders:charged", order["order_id"])
    return {"charged": order["order_id"]}
