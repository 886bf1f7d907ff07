"""S3 notifications: one call per object of the event."""

from __future__ import annotations

from aloft.runtime.aws_lambda.sources._records import first_record_source, typed

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

KIND = "s3"


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


def matches(event: dict[str, Any]) -> bool:
    return first_record_source(event) == "aws:s3"


def handle(event: dict[str, Any], call: Callable[[Any], Any]) -> None:
    for item in typed(KIND, S3Object, event["Records"]):
        call(item)
