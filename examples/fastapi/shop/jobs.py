"""The shop's scheduled work: one handler for both targets. On Lambda an EventBridge schedule
rule invokes it; on Kubernetes a CronJob runs `python -m aloft.runtime.scheduled
shop.jobs.handler`, which sends it the same "Scheduled Event"."""

from __future__ import annotations

import json
import os

import redis

from aloft.runtime.aws_lambda import ScheduledEvent, lambda_handler

handler = lambda_handler()


@handler.on_schedule
def record_tick(event: ScheduledEvent) -> dict[str, str]:
    # Created per run: a scheduled run is one process on Kubernetes, one invocation on Lambda.
    client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=2)
    client.rpush("shop:ticks", json.dumps(event.raw))
    return {"recorded": event.id}
