"""With OpenTelemetry in the app, aloft's ids agree with the active span: one trace, not two."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from aloft.runtime import tracing
from aloft.runtime.asgi import AloftASGI
from aloft.runtime.logs import JsonFormatter
from aloft.runtime.options import ServeOptions

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)


async def handler(request: Request) -> JSONResponse:
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "inside", (), None)
    return JSONResponse(
        {"log": JsonFormatter().format(record), "outgoing": tracing.outgoing_headers()}
    )


def call(headers: dict[str, str]) -> httpx.Response:
    inner = OpenTelemetryMiddleware(Starlette(routes=[Route("/t", handler)]))
    app = AloftASGI(inner, ServeOptions(app="x", access_log=False))

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as c:
            return await c.get("/t", headers=headers)

    return asyncio.run(go())


def test_without_incoming_context_otel_continues_aloft_trace() -> None:
    exporter.clear()
    reply = call({})
    log = json.loads(reply.json()["log"])
    server_span = next(s for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.SERVER)
    otel_trace = f"{server_span.context.trace_id:032x}"
    assert log["trace_id"] == otel_trace
    # The app's log lines name the span they were written in: OpenTelemetry's server span.
    assert log["span_id"] == f"{server_span.context.span_id:016x}"
    assert reply.json()["outgoing"]["traceparent"].split("-")[1] == otel_trace
    # OpenTelemetry's span is the child of aloft's edge span: same trace, linked parent.
    assert (
        server_span.parent is not None
        and server_span.parent.trace_id == server_span.context.trace_id
    )


def test_with_incoming_context_both_use_the_callers_trace() -> None:
    exporter.clear()
    caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    reply = call({"traceparent": f"00-{caller_trace}-00f067aa0ba902b7-01"})
    server_span = next(s for s in exporter.get_finished_spans() if s.kind == trace.SpanKind.SERVER)
    assert f"{server_span.context.trace_id:032x}" == caller_trace
    assert json.loads(reply.json()["log"])["trace_id"] == caller_trace
