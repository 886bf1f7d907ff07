"""One FastAPI app four ways for bench/throughput.py: bare, with aloft, with the instrumentator,
and with `handmade`: the same per-request work as aloft's, hand-inlined with nothing configurable,
which shows what the work itself costs, whatever code does it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI


def make_app() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, Any]:
        return {"id": item_id, "name": "pen", "price_cents": 250}

    return app


def bare() -> Any:
    return make_app()


def aloft() -> Any:
    """All of aloft's middleware: JSON access log, RED metrics, request and trace ids."""
    from aloft.runtime import logs
    from aloft.runtime.asgi import AloftASGI
    from aloft.runtime.options import ServeOptions

    logs.configure("bench", "info")
    return AloftASGI(make_app(), ServeOptions(app="bench", service="bench"))


def instrumented() -> Any:
    from prometheus_fastapi_instrumentator import Instrumentator

    app = make_app()
    Instrumentator().instrument(app).expose(app)
    return app


def handmade() -> Any:
    """aloft's per-request work and nothing else, inlined: ids, the X-Request-ID header, the
    context variable, counters and a latency histogram in a dict, one JSON access line per request.
    No probes, options, sampling, secret scrubbing, locks, cross-worker files or in-flight gauge."""
    import bisect
    import json
    import os
    import random
    import time

    from aloft.runtime import logs, tracing

    logs.configure("bench", "info")
    inner = make_app()
    encode = json.encoder.encode_basestring
    bits = random.Random(os.urandom(16)).getrandbits
    counts: dict[tuple[str, str, int], list[float]] = {}
    line = (
        '{"time":"%s.%03dZ","level":"info","logger":"aloft.access","message":"request",'
        '"service":"bench","request_id":"%s","trace_id":"%s","span_id":"%s","method":%s,'
        '"path":%s,"route":%s,"status":%d,"duration_ms":%d.%03d}\n'
    )
    bounds = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        fresh = f"{bits(320):080x}"
        ctx = tracing.RequestContext(fresh[:32], fresh[32:64], fresh[64:], "", "01", True)
        header = (b"x-request-id", fresh[:32].encode())
        status = 500

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"].append(header)
            await send(message)

        token = tracing.current.set(ctx)
        started = time.perf_counter()
        try:
            await inner(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")
            template = route.path_format if route is not None else "<unmatched>"
            key = (scope["method"], template, status)
            cells = counts.get(key)
            if cells is None:
                cells = counts[key] = [0.0] * 14
            cells[0] += 1
            cells[1] += seconds
            cells[2 + bisect.bisect_left(bounds, seconds)] += 1
            now = time.time()
            micros = int(seconds * 1_000_000 + 0.5)
            os.write(
                1,
                (
                    line
                    % (
                        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)),
                        int(now % 1 * 1000),
                        ctx.request_id,
                        ctx.trace_id,
                        ctx.span_id,
                        encode(scope["method"]),
                        encode(scope["path"]),
                        encode(template),
                        status,
                        micros // 1000,
                        micros % 1000,
                    )
                ).encode(),
            )
            tracing.current.reset(token)

    return app


def aloft_traced() -> Any:
    """aloft's middleware with span export on: OTLP/HTTP to the bench's loopback receiver
    (BENCH_OTLP_ENDPOINT), parent-based sampling at 0.1, as `[tool.aloft.tracing]` sets it."""
    import os

    os.environ.update(
        {
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_ENDPOINT": os.environ["BENCH_OTLP_ENDPOINT"],
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.1",
        }
    )
    from aloft.runtime import spans

    export = spans.get()
    assert export is not None
    export.start()  # one uvicorn worker, no fork: what gunicorn's post_fork does per worker
    return aloft()


def otel_asgi() -> Any:
    """OpenTelemetry's own ASGI instrumentation on the same app, same exporter and sampling."""
    import os

    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(0.1)))
    endpoint = os.environ["BENCH_OTLP_ENDPOINT"] + "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return OpenTelemetryMiddleware(make_app(), tracer_provider=provider)
