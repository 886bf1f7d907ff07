"""EventBridge: one call per event; the handler's result is the invocation's."""

from __future__ import annotations

from aloft.runtime.aws_lambda.sources._records import typed

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

KIND = "eventbridge"


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


def matches(event: dict[str, Any]) -> bool:
    return "detail-type" in event and "source" in event


def handle(event: dict[str, Any], call: Callable[[Any], Any]) -> Any:
    return call(typed(KIND, EventBridgeEvent, [event])[0])
