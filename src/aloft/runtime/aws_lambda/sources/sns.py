"""SNS: one call per message of the event."""

from __future__ import annotations

import json

from aloft.runtime.aws_lambda.sources._records import first_record_source, typed

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

KIND = "sns"


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


def matches(event: dict[str, Any]) -> bool:
    return first_record_source(event) == "aws:sns"


def handle(event: dict[str, Any], call: Callable[[Any], Any]) -> None:
    for message in typed(KIND, SNSMessage, event["Records"]):
        call(message)
