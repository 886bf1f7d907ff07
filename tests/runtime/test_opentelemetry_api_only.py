"""Importing OpenTelemetry's API is not tracing with it (FastAPI imports it in every app).

Run in a fresh interpreter: a tracer provider, once set, stays for the life of the process.
"""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import asyncio, json
import opentelemetry.trace as trace
from aloft.runtime import tracing
from aloft.runtime.asgi import AloftASGI
from aloft.runtime.options import ServeOptions

seen = []

async def app(scope, receive, send):
    seen.append(dict(scope["headers"]).get(b"traceparent"))
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})

async def request():
    async def receive():
        return {"type": "http.request", "body": b""}
    async def send(message):
        pass
    scope = {"type": "http", "path": "/", "method": "GET", "headers": [], "root_path": ""}
    await AloftASGI(app, ServeOptions(app="x", access_log=False))(scope, receive, send)

asyncio.run(request())
api_only = tracing.otel_active()
from opentelemetry.sdk.trace import TracerProvider
trace.set_tracer_provider(TracerProvider())
asyncio.run(request())
print(json.dumps([api_only, tracing.otel_active(), [s is not None for s in seen]]))
"""


def test_only_a_configured_sdk_makes_aloft_hand_the_trace_to_opentelemetry() -> None:
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )
    api_only, with_sdk, injected = json.loads(run.stdout.strip().splitlines()[-1])
    assert api_only is False
    assert with_sdk is True
    # Without an SDK the scope is left alone; with one, the app's span gets aloft's context.
    assert injected == [False, True]
