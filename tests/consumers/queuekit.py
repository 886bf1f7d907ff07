"""SQS queues on a moto server as aloft's Lambda deploy creates them (a work queue with a
redrive policy to its dead-letter queue), for the consumer tests here and on the cluster."""

from __future__ import annotations

import json
import uuid
from typing import Any

from testkit import EXAMPLES

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
