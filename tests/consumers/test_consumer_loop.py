"""The consumer's poll loop against moto's SQS: what is deleted, what is redelivered, what
reaches the DLQ, and drain on a real SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import ModuleType
from typing import Any

import httpx
import pytest
from queuekit import EVENTS, Queues

from aloft.runtime.consumer.loop import Consumer
from testkit import free_port

pytestmark = pytest.mark.timeout(120)

SENT = 40
CONSUMER = [sys.executable, "-m", "aloft.runtime.consumer", "orders.handler.handler"]


def _consume_until(consumer: Consumer, done: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the queue was not consumed in time"
        consumer.poll_once()


def _ids(client: Any, key: str) -> list[int]:
    return [int(v) for v in client.lrange(key, 0, -1)]


def test_failed_records_stay_and_reach_the_dlq_after_max_receives_others_are_deleted_once(
    queues: Queues, orders: tuple[ModuleType, Any]
) -> None:
    module, redis = orders
    queues.send(*({"order_id": i} for i in range(6)), {"order_id": 99, "fail": True})
    consumer = Consumer(module.handler, queues.client, queues.url, queues.arn, wait_seconds=1)

    _consume_until(consumer, lambda: queues.depth(queues.dlq_url) == 1)

    assert sorted(_ids(redis, "orders:charged")) == list(range(6))
    # maxReceiveCount = 2: handled twice, then SQS moved it on instead of a third delivery.
    assert _ids(redis, "orders:attempts").count(99) == 2
    assert queues.drain_bodies(queues.dlq_url) == [{"order_id": 99, "fail": True}]
    assert queues.depth() == 0


def test_duplicate_deliveries_charge_each_order_exactly_once(
    queues: Queues, orders: tuple[ModuleType, Any]
) -> None:
    module, redis = orders
    queues.send(*({"order_id": i % 5} for i in range(15)))  # every order sent three times
    consumer = Consumer(module.handler, queues.client, queues.url, queues.arn, wait_seconds=1)

    _consume_until(consumer, lambda: queues.depth() == 0)

    assert sorted(_ids(redis, "orders:charged")) == list(range(5))
    assert sorted(_ids(redis, "orders:attempts")) == list(range(5))


def test_an_unknown_item_identifier_fails_the_whole_batch_as_lambda_does(queues: Queues) -> None:
    def answers_nonsense(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]}

    queues.send({"order_id": 1}, {"order_id": 2})
    consumer = Consumer(answers_nonsense, queues.client, queues.url, queues.arn, wait_seconds=1)
    outcome = consumer.poll_once()
    assert outcome.received and outcome.deleted == []
    assert sorted(outcome.failed) == sorted(outcome.received)
    assert queues.depth() == 2


def test_the_event_is_the_one_lambda_sends(queues: Queues) -> None:
    seen: list[dict[str, Any]] = []

    def records(event: dict[str, Any], context: Any) -> None:
        seen.append(event)
        assert context.get_remaining_time_in_millis() > 0

    queues.send({"order_id": 1})
    Consumer(records, queues.client, queues.url, queues.arn, wait_seconds=1).poll_once()
    (record,) = seen[0]["Records"]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == queues.arn
    assert record["awsRegion"] == "us-east-1" and record["body"] == '{"order_id": 1}'
    # The system attributes Lambda passes, asked for with AttributeNames=All.
    assert {"ApproximateReceiveCount", "SentTimestamp"} <= set(record["attributes"])
    assert queues.depth() == 0


def test_sigterm_finishes_the_batch_in_hand_deletes_only_processed_and_exits(
    queues: Queues, orders: tuple[ModuleType, Any], aws_env: str
) -> None:
    _, redis = orders
    queues.client.set_queue_attributes(QueueUrl=queues.url, Attributes={"VisibilityTimeout": "2"})
    queues.send(*({"order_id": i, "work": 0.2} for i in range(SENT)))
    admin = free_port()
    env = {
        **os.environ,
        "ALOFT_SERVICE": "orders",
        "ALOFT_HOST": "127.0.0.1",
        "ALOFT_ADMIN_PORT": str(admin),
        "ALOFT_LOG_FORMAT": "json",
    }
    process = subprocess.Popen(
        [*CONSUMER, "--queue", queues.name, "--wait", "1", "--timeout", "10"],
        cwd=EVENTS,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        metrics = ""
        while 'outcome="ok"' not in metrics:  # one whole batch done and counted
            assert process.poll() is None, process.communicate()[0][-3000:]
            assert time.monotonic() < deadline, "the consumer finished no batch"
            time.sleep(0.1)
            try:
                metrics = httpx.get(f"http://127.0.0.1:{admin}/metrics", timeout=2).text
            except httpx.HTTPError:
                continue
        assert "queue_handler_duration_seconds_bucket" in metrics
        assert "queue_oldest_message_age_seconds" in metrics
        assert httpx.get(f"http://127.0.0.1:{admin}/readyz", timeout=2).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{admin}/healthz", timeout=2).status_code == 200
        seen = redis.llen("orders:attempts")
        while redis.llen("orders:attempts") <= seen:  # the next batch is in hand
            assert time.monotonic() < deadline, "the consumer took no second batch"
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        # Draining: still alive, finishing its batch, and no longer ready.
        assert process.poll() is None
        assert httpx.get(f"http://127.0.0.1:{admin}/readyz", timeout=2).status_code == 503
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, output
    charged = _ids(redis, "orders:charged")
    attempts = _ids(redis, "orders:attempts")
    assert charged and len(charged) < SENT, "the drain should stop before the queue is empty"
    assert sorted(charged) == sorted(attempts), "a batch was abandoned mid-way"
    assert len(set(charged)) == len(charged)
    time.sleep(2.5)  # the visibility timeout of anything in flight
    left = [body["order_id"] for body in queues.drain_bodies(queues.url)]
    assert sorted(charged + left) == list(range(SENT)), "a message was lost or processed twice"
    assert '"message":"consumer stopped"' in output


def test_a_missing_queue_is_one_line_and_exit_2(aws_env: str) -> None:
    done = subprocess.run(
        [*CONSUMER, "--queue", "no-such-queue"],
        cwd=EVENTS,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "aloft: error: --queue no-such-queue: no such queue in us-east-1; create it (aloft lambda"
        " deploy creates the function's queues) or fix the name"
    ]


def test_liveness_fails_when_the_loop_shows_no_sign_of_life(queues: Queues) -> None:
    from aloft.runtime.consumer import probes
    from aloft.runtime.options import ServeOptions

    consumer = Consumer(lambda e, c: None, queues.client, queues.url, queues.arn, wait_seconds=1)
    server = probes.serve(consumer, ServeOptions(host="127.0.0.1"), 0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert httpx.get(base + "/readyz").status_code == 503  # no receive has succeeded yet
        consumer.poll_once()
        assert httpx.get(base + "/readyz").status_code == 200
        assert httpx.get(base + "/healthz").status_code == 200
        # Wedged in a handler or an SDK call for longer than a poll and a batch can take.
        consumer.heartbeat -= consumer.wait_seconds + consumer.timeout + probes.STUCK_MARGIN + 1
        assert httpx.get(base + "/healthz").status_code == 503
    finally:
        server.shutdown()
