"""Queue consumer throughput: aloft's consumer loop against a bare boto3 poll loop, same run.

Both read the same moto SQS queue (moto server on 127.0.0.1), 10 messages per receive, and
delete what the handler accepted. The bare loop calls a plain function per message body and
deletes the batch; aloft's loop builds Lambda's SQS event, calls a `lambda_handler()` with an
`on_sqs` handler, reads batchItemFailures, deletes, and records its metrics. Rounds alternate.

Part 2 isolates aloft's own work per message from SQS and HTTP: the same two loops over a
canned ReceiveMessage reply with a client that answers in memory.

Run: uv run --all-groups python bench/consumer.py [--messages 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))


def handle_body(body: dict[str, Any]) -> None:
    body["seen"] = True


def bare_loop(client: Any, url: str, total: int) -> None:
    """What a hand-written consumer does: receive, call, delete the batch."""
    done = 0
    while done < total:
        got = client.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, AttributeNames=["All"]
        ).get("Messages", [])
        for message in got:
            handle_body(json.loads(message["Body"]))
        if got:
            client.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)
                ],
            )
        done += len(got)


def aloft_loop(consumer: Any, total: int) -> None:
    done = 0
    while done < total:
        done += len(consumer.poll_once().deleted)


def fill(client: Any, url: str, total: int) -> None:
    for start in range(0, total, 10):
        entries = [
            {"Id": str(i), "MessageBody": json.dumps({"order_id": start + i})}
            for i in range(min(10, total - start))
        ]
        client.send_message_batch(QueueUrl=url, Entries=entries)


def make_handler() -> Any:
    from aloft.runtime.aws_lambda import lambda_handler

    handler = lambda_handler()

    @handler.on_sqs
    def on_order(record: Any) -> None:
        handle_body(record.json())

    return handler


class InMemorySQS:
    """ReceiveMessage answers a canned batch; DeleteMessageBatch succeeds: no I/O at all."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.reply = {"Messages": messages}

    def receive_message(self, **_: Any) -> dict[str, Any]:
        return self.reply

    def delete_message_batch(self, **_: Any) -> dict[str, Any]:
        return {"Successful": [], "Failed": []}


def canned(count: int) -> list[dict[str, Any]]:
    now = str(int(time.time() * 1000))
    return [
        {
            "MessageId": f"id-{i}",
            "ReceiptHandle": f"rh-{i}",
            "MD5OfBody": "x",
            "Body": json.dumps({"order_id": i}),
            "Attributes": {"SentTimestamp": now, "ApproximateReceiveCount": "1"},
        }
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("ALOFT_LAMBDA_EMF", "false")
    import boto3

    from aloft.runtime.consumer.loop import Consumer, ConsumerMetrics
    from lambdakit import moto

    handler = make_handler()
    results: dict[str, list[float]] = {"bare": [], "aloft": []}
    with moto() as url:
        client = boto3.client(
            "sqs",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        queue = client.create_queue(QueueName="bench")["QueueUrl"]
        arn = client.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        consumer = Consumer(
            handler, client, queue, arn, wait_seconds=0, metrics=ConsumerMetrics("bench")
        )
        for _ in range(args.rounds):
            for name in ("bare", "aloft"):
                fill(client, queue, args.messages)
                started = time.perf_counter()
                if name == "bare":
                    bare_loop(client, queue, args.messages)
                else:
                    aloft_loop(consumer, args.messages)
                results[name].append(args.messages / (time.perf_counter() - started))
    bare, ours = statistics.median(results["bare"]), statistics.median(results["aloft"])
    print(f"moto SQS, {args.messages} messages x {args.rounds} rounds (median msg/s)")
    print(f"  bare boto3 loop  {bare:8.0f} msg/s   rounds {[round(r) for r in results['bare']]}")
    print(f"  aloft consumer   {ours:8.0f} msg/s   rounds {[round(r) for r in results['aloft']]}")
    extra = 1e6 / ours - 1e6 / bare
    print(f"  ratio aloft/bare {ours / bare:.2f}; extra per message {extra:.0f} us")

    # Part 2: aloft's own work, no I/O.
    batch = canned(10)
    memory = InMemorySQS(batch)
    inner = Consumer(handler, memory, "q", arn, metrics=ConsumerMetrics("bench-memory"))
    batches = 5000
    timings: dict[str, list[float]] = {"bare": [], "aloft": []}
    for _ in range(5):
        started = time.perf_counter()
        bare_loop(memory, "q", batches * 10)
        timings["bare"].append((time.perf_counter() - started) / (batches * 10))
        started = time.perf_counter()
        for _ in range(batches):
            inner.poll_once()
        timings["aloft"].append((time.perf_counter() - started) / (batches * 10))
    bare_us = statistics.median(timings["bare"]) * 1e6
    ours_us = statistics.median(timings["aloft"]) * 1e6
    print("in memory, no SQS (median of 5 x 50000 messages)")
    print(f"  bare loop {bare_us:.1f} us/msg, aloft {ours_us:.1f} us/msg")
    print(f"  aloft's own work: +{ours_us - bare_us:.1f} us per message")


if __name__ == "__main__":
    main()
