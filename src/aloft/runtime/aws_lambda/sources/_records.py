"""What the event sources share: typing an event's records, with one error for a malformed one."""

from __future__ import annotations

from aloft.runtime.exceptions import UnknownEventError

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, TypeVar

    T = TypeVar("T")


def typed(kind: str, build: Callable[[Any], T], raws: Iterable[Any]) -> list[T]:
    """`build` over each raw record, all before any handler runs: a malformed event is one
    clear error, not a handler called for half of it."""
    try:
        return [build(raw) for raw in raws]
    except (KeyError, TypeError, AttributeError) as exc:
        raise UnknownEventError(f"malformed {kind} event: {type(exc).__name__} {exc}") from None


def first_record_source(event: dict[str, Any]) -> str | None:
    """`eventSource` of the first of `Records` (SNS spells it `EventSource`), or None."""
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        first = records[0]
        return str(first.get("eventSource") or first.get("EventSource"))
    return None
