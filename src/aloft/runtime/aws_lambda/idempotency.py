"""Idempotency: a duplicate delivery returns the first result instead of running twice.

    store = RedisStore(os.environ["REDIS_URL"])

    @idempotent(store, key="order_id")
    def charge(record: dict) -> dict: ...

A record moves IN_PROGRESS -> COMPLETED (result cached until `expires` seconds), or is deleted
when the function raises so a retry may run it again. The IN_PROGRESS lock expires with the
invocation's remaining time, so a run killed by its timeout does not block retries forever.
The payload's hash is stored: the same key with a different payload is an error, not a replay.
Every store makes "claim the key" one atomic conditional write.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
import time

from aloft.runtime.aws_lambda import context as invocation
from aloft.runtime.exceptions import AlreadyInProgress, IdempotencyError, PayloadMismatch

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

IN_PROGRESS = "IN_PROGRESS"
COMPLETED = "COMPLETED"


class Record:
    __slots__ = ("expires_ms", "key", "lock_ms", "payload_hash", "result", "status")

    def __init__(
        self,
        key: str,
        status: str,
        payload_hash: str,
        expires_ms: int,
        lock_ms: int = 0,
        result: Any = None,
    ) -> None:
        self.key = key
        self.status = status
        self.payload_hash = payload_hash
        self.expires_ms = expires_ms  # when the record stops counting (IN_PROGRESS or COMPLETED)
        self.lock_ms = lock_ms  # when an IN_PROGRESS claim lapses
        self.result = result

    def live(self, now_ms: int) -> bool:
        if self.expires_ms <= now_ms:
            return False
        return self.status == COMPLETED or self.lock_ms > now_ms

    def to_json(self) -> str:
        return json.dumps(
            {
                "status": self.status,
                "hash": self.payload_hash,
                "expires_ms": self.expires_ms,
                "lock_ms": self.lock_ms,
                "result": self.result,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, key: str, text: str | bytes) -> Record:
        data = json.loads(text)
        return cls(
            key, data["status"], data["hash"], data["expires_ms"], data["lock_ms"], data["result"]
        )


class IdempotencyStore:
    """Where records live. `claim` is the one operation that must be atomic."""

    def claim(self, record: Record, now_ms: int) -> Record | None:
        """Write `record` unless a live one exists; return that live one instead."""
        raise NotImplementedError

    def complete(self, record: Record) -> None:
        raise NotImplementedError

    def release(self, key: str) -> None:
        raise NotImplementedError


class MemoryStore(IdempotencyStore):
    """One process only: for local runs and tests."""

    def __init__(self) -> None:
        self.records: dict[str, Record] = {}
        self._lock = threading.Lock()

    def claim(self, record: Record, now_ms: int) -> Record | None:
        with self._lock:
            existing = self.records.get(record.key)
            if existing is not None and existing.live(now_ms):
                return existing
            self.records[record.key] = record
            return None

    def complete(self, record: Record) -> None:
        with self._lock:
            self.records[record.key] = record

    def release(self, key: str) -> None:
        with self._lock:
            self.records.pop(key, None)


# Claim atomically inside Redis: keep a live record, else write ours (with the record's expiry).
_CLAIM = """
local old = redis.call('GET', KEYS[1])
if old then
  local r = cjson.decode(old)
  local now = tonumber(ARGV[2])
  if r.expires_ms > now and (r.status == 'COMPLETED' or r.lock_ms > now) then return old end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return false
"""


class RedisStore(IdempotencyStore):
    """Redis (the `redis` package, imported when the store is made): one Lua script per claim."""

    def __init__(self, client: Any, prefix: str = "aloft:idempotency:") -> None:
        if isinstance(client, str):
            import redis

            client = redis.Redis.from_url(client)
        self.client = client
        self.prefix = prefix
        self._claim = client.register_script(_CLAIM)

    def claim(self, record: Record, now_ms: int) -> Record | None:
        ttl = max(record.expires_ms - now_ms, 1)
        old = self._claim(keys=[self.prefix + record.key], args=[record.to_json(), now_ms, ttl])
        return Record.from_json(record.key, old) if old else None

    def complete(self, record: Record) -> None:
        ttl = max(record.expires_ms - _now_ms(), 1)
        self.client.set(self.prefix + record.key, record.to_json(), px=ttl)

    def release(self, key: str) -> None:
        self.client.delete(self.prefix + key)


class DynamoDBStore(IdempotencyStore):
    """A DynamoDB table keyed by `id` (boto3 imported when the store is made).

    The claim is a conditional PutItem; `expiration` (seconds) is the table's TTL attribute.
    """

    def __init__(self, table: str, client: Any = None) -> None:
        if client is None:
            import boto3  # type: ignore[import-untyped]

            client = boto3.client("dynamodb")
        self.client = client
        self.table = table

    def _item(self, record: Record) -> dict[str, Any]:
        return {
            "id": {"S": record.key},
            "status": {"S": record.status},
            "payload_hash": {"S": record.payload_hash},
            "expires_ms": {"N": str(record.expires_ms)},
            "expiration": {"N": str(record.expires_ms // 1000)},
            "lock_ms": {"N": str(record.lock_ms)},
            "result": {"S": json.dumps(record.result)},
        }

    def claim(self, record: Record, now_ms: int) -> Record | None:
        try:
            self.client.put_item(
                TableName=self.table,
                Item=self._item(record),
                ConditionExpression=(
                    "attribute_not_exists(id) OR expires_ms <= :now OR "
                    "(#s = :in_progress AND lock_ms <= :now)"
                ),
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":now": {"N": str(now_ms)},
                    ":in_progress": {"S": IN_PROGRESS},
                },
            )
            return None
        except self.client.exceptions.ConditionalCheckFailedException:
            pass
        item = self.client.get_item(
            TableName=self.table, Key={"id": {"S": record.key}}, ConsistentRead=True
        ).get("Item")
        if item is None:  # deleted between the two calls: claim again
            return self.claim(record, now_ms)
        return Record(
            record.key,
            item["status"]["S"],
            item["payload_hash"]["S"],
            int(item["expires_ms"]["N"]),
            int(item["lock_ms"]["N"]),
            json.loads(item["result"]["S"]),
        )

    def complete(self, record: Record) -> None:
        self.client.put_item(TableName=self.table, Item=self._item(record))

    def release(self, key: str) -> None:
        self.client.delete_item(TableName=self.table, Key={"id": {"S": key}})


def _now_ms() -> int:
    return int(time.time() * 1000)


def _pick(payload: Any, path: str) -> Any:
    value = payload
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif hasattr(value, part):
            value = getattr(value, part)
        else:
            return None
        if isinstance(value, str) and part == "body" and value[:1] in "{[":
            value = json.loads(value)  # API Gateway and SQS carry JSON as text
    return value


# What changes from one delivery of the same SQS message to the next: left out of the default key
# and of the payload hash, so a redelivered message is a replay, not a new payload (or a mismatch).
_PER_DELIVERY = "receiptHandle"
_PER_DELIVERY_ATTRIBUTES = frozenset(
    {"ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"}
)


def _plain(payload: Any) -> Any:
    raw = getattr(payload, "raw", None)  # the typed event objects keep what Lambda sent
    if raw is None:
        return payload
    if isinstance(raw, dict) and _PER_DELIVERY in raw:
        raw = {k: v for k, v in raw.items() if k != _PER_DELIVERY}
        attributes = raw.get("attributes")
        if isinstance(attributes, dict):
            raw["attributes"] = {
                k: v for k, v in attributes.items() if k not in _PER_DELIVERY_ATTRIBUTES
            }
    return raw


def payload_hash(payload: Any) -> str:
    text = json.dumps(_plain(payload), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def idempotent(
    store: IdempotencyStore,
    key: str | Callable[[Any], Any] | None = None,
    *,
    expires: float = 3600.0,
    name: str = "",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run the decorated function once per key; its first argument is the event or record.

    `key` is a dotted path into that argument (`"body.order_id"`), a function of it, or None
    for the whole payload. The result must be JSON-serialisable (it is what duplicates get).
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        scope = name or f"{func.__module__}.{func.__qualname__}"

        @functools.wraps(func)
        def wrapper(payload: Any, *args: Any, **kwargs: Any) -> Any:
            if key is None:
                key_value = _plain(payload)
            elif callable(key):
                key_value = key(payload)
            else:
                key_value = _pick(_plain(payload), key)
            if key_value is None:
                raise IdempotencyError(f"{scope}: the idempotency key {key!r} is missing")
            digest = hashlib.sha256(
                json.dumps(key_value, sort_keys=True, default=str).encode()
            ).hexdigest()
            record_key = f"{scope}#{digest}"
            now = _now_ms()
            expires_ms = now + int(expires * 1000)
            lock_ms = now + invocation.remaining_ms()
            mine = Record(record_key, IN_PROGRESS, payload_hash(payload), expires_ms, lock_ms)
            existing = store.claim(mine, now)
            if existing is not None:
                if existing.payload_hash != mine.payload_hash:
                    raise PayloadMismatch(f"{scope}: key reused with a different payload")
                if existing.status == COMPLETED:
                    return existing.result
                raise AlreadyInProgress(f"{scope}: the same key is being processed now")
            try:
                result = func(payload, *args, **kwargs)
            except BaseException:
                store.release(record_key)
                raise
            store.complete(Record(record_key, COMPLETED, mine.payload_hash, expires_ms, 0, result))
            return result

        return wrapper

    return decorate
