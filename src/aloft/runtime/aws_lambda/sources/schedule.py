"""A schedule rule firing: an EventBridge event from `aws.events`, `Scheduled Event`. With no
`on_schedule` handler, the `on_eventbridge` one gets it (as the EventBridge event it is)."""

from __future__ import annotations

from aloft.runtime.aws_lambda.sources._records import typed
from aloft.runtime.aws_lambda.sources.eventbridge import EventBridgeEvent

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

KIND = "schedule"
FALLBACK = "eventbridge"


class ScheduledEvent(EventBridgeEvent):
    """An EventBridge schedule rule firing (`source` aws.events, `detail-type` Scheduled Event)."""

    __slots__ = ()


def matches(event: dict[str, Any]) -> bool:
    return event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event"


def handle(event: dict[str, Any], call: Callable[[Any], Any]) -> Any:
    return call(typed(KIND, ScheduledEvent, [event])[0])
