"""The span of a non-HTTP invocation (SQS, SNS, S3, EventBridge, a schedule), when tracing is on.

HTTP invocations get theirs from the middleware, as under `aloft run`; these get one span around
the registered handler, with the invocation's ids as the request's (so its log lines carry them)
and the FaaS semantic conventions' attributes.
"""

from __future__ import annotations

import os
import time

from aloft.runtime import tracing
from aloft.runtime.aws_lambda import context as invocation
from aloft.runtime.aws_lambda.sources import dispatch as dispatch_event
from aloft.runtime.aws_lambda.sources import event_source_for

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from aloft.runtime.spans import SpanExport

# faas.trigger of each event source; messages arrive as a consumer's, the rest as a server's.
_TRIGGERS = {
    "sqs": ("pubsub", "CONSUMER"),
    "sns": ("pubsub", "CONSUMER"),
    "eventbridge": ("pubsub", "CONSUMER"),
    "s3": ("datasource", "SERVER"),
    "schedule": ("timer", "SERVER"),
}


def dispatch(
    spans: SpanExport,
    handlers: dict[str, Callable[..., Any]],
    run_async: Callable[[Any], Any],
    service: str,
    event: Any,
    context: Any,
) -> Any:
    source = event_source_for(event)
    kind = source.KIND if source is not None else "other"
    trigger, span_kind = _TRIGGERS.get(kind, ("other", "SERVER"))
    rid = getattr(context, "aws_request_id", None)
    xray = getattr(context, "trace_id", None) or os.environ.get("_X_AMZN_TRACE_ID")
    ctx = tracing.start(
        rid if isinstance(rid, str) else None, invocation.xray_traceparent(xray), True
    )
    ctx.trace_flags = spans.decide(ctx.trace_id, ctx.trace_flags if ctx.parent_span_id else None)
    token = tracing.current.set(ctx)
    entered = spans.enter(ctx)
    error = ""
    started = time.perf_counter()
    try:
        return dispatch_event(handlers, event, run_async)
    except BaseException as exc:
        error = type(exc).__qualname__
        raise
    finally:
        ended = time.perf_counter()
        seconds = ended - started
        spans.leave(entered)
        tracing.current.reset(token)
        function = os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or service
        attributes: dict[str, Any] = {"faas.trigger": trigger, "faas.invocation_id": ctx.request_id}
        if kind != "other":
            attributes["aloft.event.source"] = kind
        spans.server_span(
            ctx,
            seconds,
            f"{kind} {function}".strip(),
            attributes,
            kind=span_kind,
            error=error,
            ended=ended,
        )
