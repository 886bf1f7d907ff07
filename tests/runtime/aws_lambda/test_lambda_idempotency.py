"""Idempotency: duplicates replay the first result; one execution per key, even concurrently."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import boto3
import pytest
import redis

from aloft.runtime.aws_lambda import (
    DynamoDBStore,
    MemoryStore,
    RedisStore,
    idempotent,
    lambda_handler,
)
from aloft.runtime.aws_lambda.idempotency import (
    AlreadyInProgress,
    IdempotencyStore,
    PayloadMismatch,
)
from lambdakit import Context


def state_machine(store: IdempotencyStore) -> None:
    """The behaviour every store must show, run sequentially."""
    runs: list[Any] = []
    scope = uuid.uuid4().hex

    @idempotent(store, key="order", name=scope)
    def charge(event: dict[str, Any]) -> dict[str, Any]:
        runs.append(event)
        if event.get("fail"):
            raise RuntimeError("payment provider down")
        return {"charged": event["amount"]}

    # First run executes; a duplicate gets the cached result without running.
    assert charge({"order": 1, "amount": 5}) == {"charged": 5}
    assert charge({"order": 1, "amount": 5}) == {"charged": 5}
    assert len(runs) == 1
    # Same key, different payload: rejected, not replayed.
    with pytest.raises(PayloadMismatch):
        charge({"order": 1, "amount": 6})
    # A failure releases the key so a retry runs again.
    with pytest.raises(RuntimeError):
        charge({"order": 2, "amount": 1, "fail": True})
    with pytest.raises(RuntimeError):
        charge({"order": 2, "amount": 1, "fail": True})
    assert len(runs) == 3

    # In progress: a claim by an invocation that is still running blocks duplicates...
    handler = lambda_handler()
    inside: list[Any] = []

    @idempotent(store, key="order", name=scope + "-nested")
    def slow(event: dict[str, Any]) -> str:
        try:
            slow(event)
        except AlreadyInProgress as exc:
            inside.append(exc)
        return "done"

    handler.on_eventbridge(lambda e: slow(e.detail))
    assert (
        handler(
            {"source": "s", "detail-type": "d", "detail": {"order": 3}}, Context(remaining_ms=5000)
        )
        == "done"
    )
    assert len(inside) == 1

    # ...until the lock lapses with the invocation's remaining time (the run was killed).
    @idempotent(store, key="order", name=scope + "-killed")
    def killed(event: dict[str, Any]) -> str:
        return "second attempt"

    from aloft.runtime.aws_lambda import context as invocation
    from aloft.runtime.aws_lambda.idempotency import IN_PROGRESS, Record, payload_hash

    payload = {"order": 4}
    key = f"{scope}-killed#" + __import__("hashlib").sha256(b"4").hexdigest()
    now = int(time.time() * 1000)
    token = invocation.current.set(({}, Context(remaining_ms=200)))
    try:
        assert (
            store.claim(
                Record(key, IN_PROGRESS, payload_hash(payload), now + 60_000, now + 200), now
            )
            is None
        )
        with pytest.raises(AlreadyInProgress):
            killed(payload)
        time.sleep(0.3)
        assert killed(payload) == "second attempt"
    finally:
        invocation.current.reset(token)


def test_memory_store_state_machine() -> None:
    state_machine(MemoryStore())


def test_redis_store_state_machine(redis_server: Any) -> None:
    state_machine(RedisStore(redis_server.url(14)))


def test_completed_records_expire(redis_server: Any) -> None:
    store = RedisStore(redis_server.url(14))
    runs: list[int] = []

    @idempotent(store, key="id", expires=0.2, name=uuid.uuid4().hex)
    def once(event: dict[str, Any]) -> int:
        runs.append(1)
        return len(runs)

    assert once({"id": 1}) == 1 and once({"id": 1}) == 1
    time.sleep(0.3)
    assert once({"id": 1}) == 2


def test_fifty_concurrent_duplicates_execute_exactly_once_on_redis(redis_server: Any) -> None:
    pool = redis.ConnectionPool.from_url(redis_server.url(14), max_connections=60)
    store = RedisStore(redis.Redis(connection_pool=pool))
    executions: list[int] = []
    barrier = threading.Barrier(50)
    outcomes: list[Any] = []

    @idempotent(store, key="body.order_id", name=uuid.uuid4().hex)
    def process(event: dict[str, Any]) -> dict[str, Any]:
        executions.append(1)
        time.sleep(0.2)  # long enough that every duplicate arrives while it runs
        return {"ok": True}

    def invocation() -> None:
        barrier.wait()
        try:
            outcomes.append(process({"body": '{"order_id": "A-1"}'}))
        except AlreadyInProgress as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=invocation) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(executions) == 1
    assert len(outcomes) == 50
    assert sum(o == {"ok": True} for o in outcomes) >= 1
    assert all(o == {"ok": True} or isinstance(o, AlreadyInProgress) for o in outcomes)
    # Retried after the first completes, every duplicate gets the cached result.
    assert process({"body": '{"order_id": "A-1"}'}) == {"ok": True}
    assert len(executions) == 1


def test_dynamodb_store_state_machine_on_moto_sequentially(aws_env: str) -> None:
    # moto's server does not make conditional writes atomic across threads, so this runs the
    # state machine with sequential duplicates; the atomic claim is DynamoDB's conditional put.
    client = boto3.client("dynamodb")
    table = f"idem-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    state_machine(DynamoDBStore(table, client))


def test_a_redelivered_sqs_message_is_a_replay_not_a_new_payload() -> None:
    """SQS delivers at least once: a redelivery carries a new receipt handle and receive count.
    Neither may make it a different payload (PayloadMismatch) or a different default key."""
    from aloft.runtime.aws_lambda.sources.sqs import SQSRecord

    def delivery(receipt: str, count: str) -> SQSRecord:
        return SQSRecord(
            {
                "messageId": "m-1",
                "receiptHandle": receipt,
                "body": '{"order": 7, "amount": 3}',
                "attributes": {"ApproximateReceiveCount": count, "SentTimestamp": "1700000000000"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:orders",
            }
        )

    runs: list[str] = []
    store = MemoryStore()

    @idempotent(store, key="body.order", name=uuid.uuid4().hex)
    def by_order(record: SQSRecord) -> str:
        runs.append(record.receipt_handle)
        return "charged"

    @idempotent(store, name=uuid.uuid4().hex)
    def by_whole_message(record: SQSRecord) -> str:
        runs.append(record.receipt_handle)
        return "charged"

    for handler in (by_order, by_whole_message):
        runs.clear()
        assert handler(delivery("r-1", "1")) == "charged"
        assert handler(delivery("r-2", "2")) == "charged"  # the redelivery: replayed
        assert runs == ["r-1"]
    changed = delivery("r-3", "3")
    changed.raw["body"] = '{"order": 7, "amount": 4}'
    with pytest.raises(PayloadMismatch):
        by_order(changed)
