"""aloft's request bookkeeping on Lambda: the same ids and access line, metrics as EMF.

There is no /metrics endpoint to scrape on Lambda, so the Prometheus counters are not kept;
CloudWatch reads the same metrics from the access line instead (one write per request).
"""

from __future__ import annotations

import os

from aloft.runtime import logs, tracing
from aloft.runtime.aws_lambda import context as invocation
from aloft.runtime.aws_lambda import emf
from aloft.runtime.observe import Observer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class LambdaObserver(Observer):
    batch = False  # an invocation's lines are out before it returns
    emf_namespace = ""
    service = ""

    def start(self, request_id: str | None, traceparent: str | None) -> tracing.RequestContext:
        """Lambda's request id and X-Ray trace are the request's, unless the caller sent its own."""
        if request_id is None or traceparent is None:
            current = invocation.current.get()
            context = current[1] if current is not None else None
            if request_id is None:
                rid = getattr(context, "aws_request_id", None)
                if isinstance(rid, str) and rid:
                    request_id = rid
            if traceparent is None:
                xray = getattr(context, "trace_id", None) or os.environ.get("_X_AMZN_TRACE_ID")
                traceparent = invocation.xray_traceparent(xray)
        return super().start(request_id, traceparent)

    def export(
        self,
        ctx: tracing.RequestContext,
        method: str,
        path: str,
        route: str,
        status: int,
        seconds: float,
        attributes: dict[str, Any],
        error: str,
        ended: float | None = None,
    ) -> None:
        """The HTTP span, with the FaaS conventions' trigger and invocation id besides."""
        current = invocation.current.get()
        rid = getattr(current[1], "aws_request_id", None) if current is not None else None
        attributes["faas.trigger"] = "http"
        if isinstance(rid, str) and rid:
            attributes["faas.invocation_id"] = rid
        super().export(ctx, method, path, route, status, seconds, attributes, error, ended)

    def begin(self) -> None:
        """One request per environment at a time: no in-flight gauge to keep."""

    def record(self, method: str, route: str, status: int, seconds: float) -> str:
        """EMF members on the access line: CloudWatch reads the metrics from the log."""
        namespace = self.emf_namespace
        return emf.fields(namespace, status, seconds) if namespace else ""

    def record_alone(self, method: str, route: str, status: int, seconds: float) -> None:
        namespace = self.emf_namespace
        logs.write(emf.request_line(namespace, self.service, method, route, status, seconds))
