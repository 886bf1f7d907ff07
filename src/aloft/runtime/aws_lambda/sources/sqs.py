"""SQS: one call per record; the ids of records that raised go back as batchItemFailures.

`event_from_messages` builds the event Lambda would deliver from messages received with the SQS
API, so a poll loop outside Lambda can hand them to the same handlers.
"""

from __future__ import annotations

import json
import logging

from aloft.runtime.aws_lambda.sources._records import first_record_source

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

KIND = "sqs"

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


def matches(event: dict[str, Any]) -> bool:
    return first_record_source(event) == "aws:sqs"


def handle(event: dict[str, Any], call: Callable[[Any], Any]) -> dict[str, Any]:
    return process_sqs(call, event["Records"])


def process_sqs(call: Callable[[Any], Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    """Each record on its own; the ids of those that raised go back in batchItemFailures.

    A FIFO queue must keep order, so the first failure stops the batch and it and every later
    record are reported (SQS redelivers them, in order).
    """
    failed: list[str] = []
    fifo = any(str(r.get("eventSourceARN", "")).endswith(".fifo") for r in records)
    for index, raw in enumerate(records):
        try:
            call(SQSRecord(raw))
        except Exception:
            message_id = raw.get("messageId", "")
            log.exception("SQS record failed", extra={"message_id": message_id})
            failed.append(message_id)
            if fifo:
                failed.extend(r.get("messageId", "") for r in records[index + 1 :])
                break
    return {"batchItemFailures": [{"itemIdentifier": mid} for mid in failed]}


def event_from_messages(
    messages: list[dict[str, Any]], queue_arn: str, region: str = ""
) -> dict[str, Any]:
    """The event Lambda delivers for `messages` as SQS's ReceiveMessage returns them (boto3's
    `Messages`), from the queue `queue_arn`: camel-cased record fields, attribute values with
    binary ones in base64, the region taken from the ARN when not given."""
    import base64

    region = region or (queue_arn.split(":")[3] if queue_arn.count(":") >= 5 else "")
    records = []
    for message in messages:
        attributes = {}
        for name, value in (message.get("MessageAttributes") or {}).items():
            attribute: dict[str, Any] = {
                "stringListValues": list(value.get("StringListValues") or []),
                "binaryListValues": [
                    base64.b64encode(v).decode("ascii") for v in value.get("BinaryListValues") or []
                ],
                "dataType": value.get("DataType", "String"),
            }
            if "StringValue" in value:
                attribute["stringValue"] = value["StringValue"]
            if "BinaryValue" in value:
                attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode("ascii")
            attributes[name] = attribute
        record: dict[str, Any] = {
            "messageId": message["MessageId"],
            "receiptHandle": message.get("ReceiptHandle", ""),
            "body": message.get("Body", ""),
            "attributes": dict(message.get("Attributes") or {}),
            "messageAttributes": attributes,
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        }
        if "MD5OfMessageAttributes" in message:
            record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
        records.append(record)
    return {"Records": records}
