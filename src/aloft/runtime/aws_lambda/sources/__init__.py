"""Event sources, one small module each, found by asking each in turn "is this event yours?".

HTTP sources (API Gateway, ALB, Function URL) turn an event into a request and a response back:
`NAME`, `matches(event)`, `request(event)`, `response(status, headers, body, event)`.

Event sources (SQS, SNS, S3, schedules, EventBridge) call the handler registered for their
`KIND` (`@handler.on_<KIND>`) with typed records: `KIND`, `matches(event)`,
`handle(event, call) -> result`, and optionally `FALLBACK`, the kind whose handler takes the
event when none is registered for this one.

Adding a source is adding a module and one line below. Order matters: the first whose `matches`
says yes owns the event (ALB and Function URL events look like the API Gateway ones; a schedule
is an EventBridge event).
"""

from __future__ import annotations

TYPE_CHECKING = False  # importing typing would cost more than this package
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType
    from typing import Any

SOURCES = (
    "aloft.runtime.aws_lambda.sources.alb",
    "aloft.runtime.aws_lambda.sources.function_url",
    "aloft.runtime.aws_lambda.sources.apigw_v2",
    "aloft.runtime.aws_lambda.sources.apigw_v1",
)

EVENT_SOURCES = (
    "aloft.runtime.aws_lambda.sources.sqs",
    "aloft.runtime.aws_lambda.sources.sns",
    "aloft.runtime.aws_lambda.sources.s3",
    "aloft.runtime.aws_lambda.sources.schedule",
    "aloft.runtime.aws_lambda.sources.eventbridge",
)

_loaded: dict[tuple[str, ...], list[ModuleType]] = {}


def _modules(names: tuple[str, ...]) -> list[ModuleType]:
    modules = _loaded.get(names)
    if modules is None:
        import importlib

        modules = _loaded[names] = [importlib.import_module(name) for name in names]
    return modules


def source_for(event: Any) -> ModuleType | None:
    """The HTTP source module that owns `event`, or None when it is not an HTTP event."""
    if not isinstance(event, dict):
        return None
    for module in _modules(SOURCES):
        if module.matches(event):
            return module
    return None


def event_source_for(event: Any) -> ModuleType | None:
    """The event source module that owns `event`, or None."""
    if not isinstance(event, dict):
        return None
    for module in _modules(EVENT_SOURCES):
        if module.matches(event):
            return module
    return None


def event_source(kind: str) -> ModuleType:
    """The event source module of `kind` (`sqs`, `schedule`, ...)."""
    for module in _modules(EVENT_SOURCES):
        if kind == module.KIND:
            return module
    raise KeyError(kind)


def dispatch(
    handlers: dict[str, Callable[..., Any]], event: Any, run_async: Callable[[Any], Any]
) -> Any:
    """Call the handler registered for `event`'s source; `run_async` runs an `async def`
    handler's coroutine to its end. UnknownEventError when none is registered for it."""
    source = event_source_for(event)
    func = None
    if source is not None:
        func = handlers.get(source.KIND)
        fallback = getattr(source, "FALLBACK", None)
        if func is None and fallback is not None and fallback in handlers:
            source, func = event_source(fallback), handlers[fallback]
    if source is None or func is None:
        from aloft.runtime.exceptions import UnknownEventError

        kind = source.KIND if source is not None else None
        what = f"{kind} event" if kind else describe(event)
        hint = f"register one with @handler.on_{kind}" if kind else "not an HTTP event either"
        raise UnknownEventError(f"no handler for {what}: {hint}")
    handler = func

    def call(item: Any) -> Any:
        result = handler(item)
        if hasattr(result, "__await__"):
            result = run_async(result)
        return result

    return source.handle(event, call)


def describe(event: Any) -> str:
    if isinstance(event, dict):
        return "an event with keys " + ", ".join(sorted(str(k) for k in event)[:8])
    return f"a {type(event).__name__} event"
