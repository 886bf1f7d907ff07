"""The server span's attributes and status, in-process against the loopback receiver."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from aloft.runtime.asgi import AloftASGI
from aloft.runtime.options import ServeOptions
from aloft.runtime.spans import SpanExport
from otlp import Receiver

ERROR = 2  # OTLP Status.StatusCode


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Receiver]]:
    receiver = Receiver().start()
    env = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "ALOFT_SERVICE": "attrs",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    export = SpanExport(env)
    export.start()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["path"] == "/raise":
            raise KeyError("gone")
        status = 503 if scope["path"] == "/busy" else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"x"})

    wrapped = AloftASGI(app, ServeOptions(app="x", access_log=False))
    wrapped.observer.spans = export

    def call(path: str) -> int:
        async def go() -> int:
            transport = httpx.ASGITransport(app=wrapped, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as c:
                return (await c.get(path)).status_code

        status = asyncio.run(go())
        assert export.flush(5)
        return status

    yield call, receiver
    export.stop(5)
    receiver.stop()


def test_a_span_names_the_request_by_semantic_conventions(traced: Any) -> None:
    call, receiver = traced
    assert call("/items?id=1") == 200
    span = receiver.spans[-1]
    assert span.name == "GET"  # no route template for a bare ASGI app: the method alone
    assert span.kind == 2 and span.status_code == 0
    assert span.attributes == {
        "http.request.method": "GET",
        "url.path": "/items",
        "url.scheme": "http",
        "http.response.status_code": 200,
        "network.protocol.version": "1.1",
        "server.address": "api.test",
        "client.address": "127.0.0.1",
    }
    assert span.resource["service.name"] == "attrs"


def test_a_raised_exception_is_the_error_type_and_the_status_an_error(traced: Any) -> None:
    call, receiver = traced
    assert call("/raise") == 500
    span = receiver.spans[-1]
    assert span.attributes["error.type"] == "KeyError"
    assert span.attributes["http.response.status_code"] == 500
    assert span.status_code == ERROR


def test_a_server_error_status_is_the_error_type(traced: Any) -> None:
    call, receiver = traced
    assert call("/busy") == 503
    span = receiver.spans[-1]
    assert span.attributes["error.type"] == "503" and span.status_code == ERROR


APP_WITH_ITS_OWN_OTEL = """
import asyncio, json, os, sys

import httpx
from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aloft.runtime import spans
from aloft.runtime.asgi import AloftASGI
from aloft.runtime.options import ServeOptions

mine = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(mine))
trace.set_tracer_provider(provider)

async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"x"})

spans.get().start()
wrapped = AloftASGI(OpenTelemetryMiddleware(app), ServeOptions(app="x", access_log=False))

async def go():
    transport = httpx.ASGITransport(app=wrapped)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await client.get("/")

asyncio.run(go())
spans.get().flush(5)
server = [s for s in mine.get_finished_spans() if s.kind == trace.SpanKind.SERVER][0]
print(json.dumps([f"{server.context.trace_id:032x}", f"{server.parent.span_id:016x}"]))
"""


def test_an_apps_own_opentelemetry_spans_continue_aloft_span(tmp_path: Any) -> None:
    import json
    import os
    import subprocess
    import sys

    receiver = Receiver().start()
    try:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")},
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        }
        done = subprocess.run(
            [sys.executable, "-c", APP_WITH_ITS_OWN_OTEL],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=True,
        )
        trace_id, parent = json.loads(done.stdout.strip().splitlines()[-1])
        (ours,) = receiver.spans
        assert (ours.trace_id, ours.span_id) == (trace_id, parent)
    finally:
        receiver.stop()
