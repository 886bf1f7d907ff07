"""Fixtures of the consumer tests: SQS queues on the moto server with a redrive policy, and the
example handler (examples/events) importable against the test Redis."""

from __future__ import annotations

import importlib
import json
import sys
import uuid
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from testkit import EXAMPLES, RedisServer

EVENTS = EXAMPLES / "events"


class Queues:
    """A work queue and its dead-letter queue, as aloft's Lambda deploy creates them."""

    def __init__(self, client: Any, visibility: int, max_receive_count: int) -> None:
        name = f"orders-{uuid.uuid4().hex[:8]}"
        self.client = client
        self.dlq_url = client.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = client.get_queue_attributes(QueueUrl=self.dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.name = name
        self.url = client.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": str(visibility),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
                ),
            },
        )["QueueUrl"]
        self.arn = client.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    def send(self, *bodies: dict[str, Any]) -> None:
        for start in range(0, len(bodies), 10):
            entries = [
                {"Id": str(i), "MessageBody": json.dumps(body)}
                for i, body in enumerate(bodies[start : start + 10])
            ]
            reply = self.client.send_message_batch(QueueUrl=self.url, Entries=entries)
            assert not reply.get("Failed"), reply

    def depth(self, url: str | None = None) -> int:
        """Messages on the queue, visible or in flight."""
        attrs = self.client.get_queue_attributes(
            QueueUrl=url or self.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(
            attrs["ApproximateNumberOfMessagesNotVisible"]
        )

    def drain_bodies(self, url: str) -> list[dict[str, Any]]:
        """Receive and delete every visible message of `url` (the DLQ); their bodies."""
        bodies = []
        while True:
            got = self.client.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not got:
                return bodies
            for message in got:
                bodies.append(json.loads(message["Body"]))
                self.client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


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
