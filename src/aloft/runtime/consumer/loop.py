"""The poll loop: receive, call the handler as Lambda would, delete what succeeded.

Lambda's rules for an SQS event source with ReportBatchItemFailures, kept here so the handler
cannot tell the two apart:
- a record named in `batchItemFailures` stays on the queue; its visibility timeout expires and
  SQS delivers it again, until the queue's redrive policy (maxReceiveCount) moves it to the DLQ;
- a handler that raises, or answers with an identifier that is empty or not in the batch,
  fails the whole batch;
- every other record of the batch is deleted.

Drain: `stop()` (SIGTERM) ends polling; a receive already in flight is finished and its
messages processed, so no record is ever deleted without the handler having succeeded on it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from aloft.runtime.aws_lambda.sources.sqs import event_from_messages

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

log = logging.getLogger("aloft.consumer")

MAX_RECEIVE = 10  # SQS's ReceiveMessage returns at most 10 messages per call


class BatchOutcome:
    """What one receive came to: the ids processed, failed and deleted."""

    __slots__ = ("deleted", "failed", "received")

    def __init__(self, received: list[str], failed: list[str], deleted: list[str]) -> None:
        self.received = received
        self.failed = failed
        self.deleted = deleted


class ConsumerMetrics:
    """The consumer's families, defined on first use through the runtime's app metrics."""

    def __init__(self, queue: str) -> None:
        from aloft.runtime import metrics

        self.queue = queue
        self.messages = metrics.counter(
            "queue_messages_total",
            "SQS messages handled, by outcome",
            ("queue", "outcome"),
        )
        self.latency = metrics.histogram(
            "queue_handler_duration_seconds", "seconds the handler took per batch", ("queue",)
        )
        self.oldest = metrics.gauge(
            "queue_oldest_message_age_seconds",
            "age of the oldest message of the last batch when received (from SentTimestamp)",
            ("queue",),
            mode="max",
        )

    def batch(self, ok: int, failed: int, seconds: float, oldest_age: float) -> None:
        if ok:
            self.messages.labels(queue=self.queue, outcome="ok").inc(ok)
        if failed:
            self.messages.labels(queue=self.queue, outcome="failed").inc(failed)
        self.latency.labels(queue=self.queue).observe(seconds)
        self.oldest.labels(queue=self.queue).set(oldest_age)


class Consumer:
    """One queue, one handler (a Lambda handler: `handler(event, context)`)."""

    def __init__(
        self,
        handler: Callable[[Any, Any], Any],
        client: Any,
        queue_url: str,
        queue_arn: str,
        *,
        batch_size: int = 10,
        wait_seconds: int = 20,
        timeout: float = 30.0,
        metrics: ConsumerMetrics | None = None,
    ) -> None:
        self.handler = handler
        self.client = client
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.batch_size = max(1, min(batch_size, MAX_RECEIVE))
        self.wait_seconds = wait_seconds
        self.timeout = timeout
        self.metrics = metrics
        self._stop = threading.Event()
        self.polling = False  # a receive has succeeded and the loop has not been stopped
        self.heartbeat = time.monotonic()  # the loop's last sign of life (liveness)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        """Poll no more; the batch in hand is finished first (called from the SIGTERM handler)."""
        self._stop.set()
        self.polling = False

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                # SQS unreachable or throttling: not ready, and try again shortly.
                self.polling = False
                log.exception("receiving from SQS failed", extra={"queue": self.queue_url})
                self._stop.wait(1.0)
        log.info("consumer stopped", extra={"queue": self.queue_url})

    def poll_once(self) -> BatchOutcome:
        self.heartbeat = time.monotonic()
        reply = self.client.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=self.wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        self.heartbeat = time.monotonic()
        if not self._stop.is_set():
            self.polling = True
        messages = reply.get("Messages") or []
        if not messages:
            return BatchOutcome([], [], [])
        return self.handle(messages)

    def handle(self, messages: list[dict[str, Any]]) -> BatchOutcome:
        """Call the handler with `messages` as one Lambda event; delete those that succeeded."""
        from aloft.runtime.aws_lambda.context import LambdaContext

        ids = [m["MessageId"] for m in messages]
        event = event_from_messages(messages, self.queue_arn)
        deadline_ms = int((time.time() + self.timeout) * 1000)
        context = LambdaContext(str(uuid.uuid4()), deadline_ms, self.queue_arn)
        started = time.perf_counter()
        try:
            result = self.handler(event, context)
            failed = _reported_failures(result, ids)
        except Exception:
            log.exception("SQS batch failed", extra={"queue": self.queue_url})
            failed = list(ids)
        seconds = time.perf_counter() - started
        failed_set = set(failed)
        done = [m for m in messages if m["MessageId"] not in failed_set]
        deleted = self._delete(done)
        if self.metrics is not None:
            self.metrics.batch(len(done), len(failed_set), seconds, _oldest_age(messages))
        self.heartbeat = time.monotonic()
        return BatchOutcome(ids, [i for i in ids if i in failed_set], deleted)

    def _delete(self, messages: list[dict[str, Any]]) -> list[str]:
        if not messages:
            return []
        entries = [
            {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]}
            for index, m in enumerate(messages)
        ]
        reply = self.client.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        refused = {f["Id"] for f in reply.get("Failed") or []}
        for failure in reply.get("Failed") or []:
            # A stale receipt (the visibility timeout ran out mid-batch): SQS delivers it again,
            # and the handler's idempotency answers the duplicate.
            log.warning(
                "SQS refused a delete",
                extra={"queue": self.queue_url, "code": failure.get("Code", "")},
            )
        return [m["MessageId"] for i, m in enumerate(messages) if str(i) not in refused]


def _reported_failures(result: Any, ids: list[str]) -> list[str]:
    """The ids the handler's answer names; all of them when the answer is malformed, as
    Lambda treats an empty or unknown itemIdentifier."""
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return []
    known = set(ids)
    failed = []
    for item in result["batchItemFailures"]:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not ident or ident not in known:
            log.error("batchItemFailures names an unknown record: the whole batch failed")
            return list(ids)
        failed.append(ident)
    return failed


def _oldest_age(messages: list[dict[str, Any]]) -> float:
    sent = [
        int(m["Attributes"]["SentTimestamp"])
        for m in messages
        if "SentTimestamp" in (m.get("Attributes") or {})
    ]
    return max(0.0, time.time() - min(sent) / 1000) if sent else 0.0
