"""Plain event handlers: SQS (partial batch failures), SNS, S3, EventBridge and schedules.

Handlers take one typed object per record (an `SQSRecord`, `SNSMessage`, `S3Object`) or per event
(`EventBridgeEvent`, `ScheduledEvent`); `async def` handlers run on the environment's loop.
"""

from __future__ import annotations

import json
import logging

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from aloft.runtime.aws_lambda.handler import LambdaHandler

log = logging.getLogger("aloft.lambda")


class SQSRecord:
    __slots__ = (
        "attributes",
        "body",
        "event_source_arn",
        "message_attributes",
        "message_id",
        "raw",
        "receipt_handle",
    )

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.message_id: str = raw["messageId"]
        self.body: str = raw.get("body") or ""
        self.receipt_handle: str = raw.get("receiptHandle") or ""
        self.attributes: dict[str, Any] = raw.get("attributes") or {}
        self.message_attributes: dict[str, Any] = raw.get("messageAttributes") or {}
        self.event_source_arn: str = raw.get("eventSourceARN") or ""

    @property
    def message_group_id(self) -> str | None:
        return self.attributes.get("MessageGroupId")

    def json(self) -> Any:
        return json.loads(self.body)


class SNSMessage:
    __slots__ = ("attributes", "message", "message_id", "raw", "subject", "timestamp", "topic_arn")

    def __init__(self, raw: dict[str, Any]) -> None:
        sns = raw["Sns"]
        self.raw = raw
        self.message_id: str = sns.get("MessageId", "")
        self.topic_arn: str = sns.get("TopicArn", "")
        self.subject: str | None = sns.get("Subject")
        self.message: str = sns.get("Message", "")
        self.timestamp: str = sns.get("Timestamp", "")
        self.attributes: dict[str, Any] = sns.get("MessageAttributes") or {}

    def json(self) -> Any:
        return json.loads(self.message)


class S3Object:
    __slots__ = ("bucket", "etag", "event_name", "key", "raw", "region", "size")

    def __init__(self, raw: dict[str, Any]) -> None:
        from urllib.parse import unquote_plus

        s3 = raw["s3"]
        self.raw = raw
        self.event_name: str = raw.get("eventName", "")
        self.region: str = raw.get("awsRegion", "")
        self.bucket: str = s3["bucket"]["name"]
        # S3 sends keys URL-encoded with '+' for spaces.
        self.key: str = unquote_plus(s3["object"]["key"])
        self.size: int = int(s3["object"].get("size") or 0)
        self.etag: str = s3["object"].get("eTag", "")


class EventBridgeEvent:
    __slots__ = (
        "account",
        "detail",
        "detail_type",
        "id",
        "raw",
        "region",
        "resources",
        "source",
        "time",
    )

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.id: str = raw.get("id", "")
        self.source: str = raw["source"]
        self.detail_type: str = raw["detail-type"]
        self.detail: Any = raw.get("detail") or {}
        self.time: str = raw.get("time", "")
        self.region: str = raw.get("region", "")
        self.account: str = raw.get("account", "")
        self.resources: list[str] = raw.get("resources") or []


class ScheduledEvent(EventBridgeEvent):
    """An EventBridge schedule rule firing (`source` aws.events, `detail-type` Scheduled Event)."""

    __slots__ = ()


def _kind(event: Any) -> str | None:
    if not isinstance(event, dict):
        return None
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        first = records[0]
        source = first.get("eventSource") or first.get("EventSource")
        return {"aws:sqs": "sqs", "aws:sns": "sns", "aws:s3": "s3"}.get(str(source))
    if "detail-type" in event and "source" in event:
        if event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event":
            return "schedule"
        return "eventbridge"
    return None


def describe(event: Any) -> str:
    if isinstance(event, dict):
        return "an event with keys " + ", ".join(sorted(str(k) for k in event)[:8])
    return f"a {type(event).__name__} event"


def dispatch(handler: LambdaHandler, event: Any, context: Any) -> Any:
    from aloft.runtime.exceptions import UnknownEventError

    kind = _kind(event)
    func = handler.handlers.get(kind or "")
    if func is None and kind == "schedule":
        func, kind = handler.handlers.get("eventbridge"), "eventbridge"
    if func is None:
        what = f"{kind} event" if kind else describe(event)
        hint = f"register one with @handler.on_{kind}" if kind else "not an HTTP event either"
        raise UnknownEventError(f"no handler for {what}: {hint}")
    if kind == "sqs":
        return process_sqs(handler, func, event["Records"])
    try:
        if kind in ("sns", "s3"):
            typed: list[Any] = [
                (SNSMessage if kind == "sns" else S3Object)(record) for record in event["Records"]
            ]
        else:
            typed = [ScheduledEvent(event) if kind == "schedule" else EventBridgeEvent(event)]
    except (KeyError, TypeError, AttributeError) as exc:
        raise UnknownEventError(f"malformed {kind} event: {type(exc).__name__} {exc}") from None
    result = None
    for item in typed:
        result = _call(handler, func, item)
    return result if kind not in ("sns", "s3") else None


def _call(handler: LambdaHandler, func: Callable[..., Any], arg: Any) -> Any:
    result = func(arg)
    if hasattr(result, "__await__"):
        result = handler.run_async(result)
    return result


def process_sqs(
    handler: LambdaHandler, func: Callable[..., Any], records: list[dict[str, Any]]
) -> dict[str, Any]:
    """Each record on its own; the ids of those that raised go back in batchItemFailures.

    A FIFO queue must keep order, so the first failure stops the batch and it and every later
    record are reported (SQS redelivers them, in order).
    """
    failed: list[str] = []
    fifo = any(str(r.get("eventSourceARN", "")).endswith(".fifo") for r in records)
    for index, raw in enumerate(records):
        try:
            _call(handler, func, SQSRecord(raw))
        except Exception:
            message_id = raw.get("messageId", "")
            log.exception("SQS record failed", extra={"message_id": message_id})
            failed.append(message_id)
            if fifo:
                failed.extend(r.get("messageId", "") for r in records[index + 1 :])
                break
    return {"batchItemFailures": [{"itemIdentifier": mid} for mid in failed]}
