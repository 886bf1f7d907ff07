"""On Lambda, `protocol = "grpc"` too: every invocation's span reaches a real gRPC receiver
before the invocation returns (the flush at its end, as over HTTP: test_lambda_spans.py)."""

from __future__ import annotations

import secrets
import socket
import textwrap
import time
from pathlib import Path

import httpx
from test_lambda_spans import FUNCTION

from lambdakit import ALOFT_BOOTSTRAP, emulated
from otlp import GrpcReceiver

HTTP = [*ALOFT_BOOTSTRAP, "spanfn.http"]


def test_every_invocations_span_is_exported_over_grpc_before_it_returns(tmp_path: Path) -> None:
    (tmp_path / "spanfn.py").write_text(textwrap.dedent(FUNCTION))
    receiver = GrpcReceiver().start()
    env = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        # The export thread's own schedule never comes: only the per-invocation flush delivers.
        "OTEL_BSP_SCHEDULE_DELAY": "600000",
        "ALOFT_SERVICE": "items",
    }
    sent = []
    try:
        with emulated(HTTP, cwd=tmp_path, env=env, concurrency=1) as (_, front, _lines):
            for n in range(3):
                trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
                sent.append((trace_id, parent))
                reply = httpx.get(
                    f"http://127.0.0.1:{front.port}/items/{n}",
                    headers={"traceparent": f"00-{trace_id}-{parent}-01"},
                    timeout=20,
                )
                assert reply.status_code == 200
                # Already there when the response is: nothing is left for after the freeze.
                assert len(receiver.spans) == n + 1
    finally:
        receiver.stop()
    spans = receiver.spans
    assert [s.name for s in spans] == ["GET /items/{item_id}"] * 3
    assert [(s.trace_id, s.parent_span_id) for s in spans] == sent
    assert spans[0].resource["service.name"] == "items"
    assert all("grpc-python" in m["user-agent"] for m in receiver.metadata)


def test_a_grpc_receiver_that_never_answers_costs_an_invocation_at_most_the_flush_budget(
    tmp_path: Path,
) -> None:
    # It takes the connection and never speaks HTTP/2: the flush gives up after its 2 s budget.
    silent = socket.create_server(("127.0.0.1", 0))
    (tmp_path / "spanfn.py").write_text(textwrap.dedent(FUNCTION))
    env = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{silent.getsockname()[1]}",
        "OTEL_EXPORTER_OTLP_TIMEOUT": "30",
        "OTEL_BSP_SCHEDULE_DELAY": "600000",
    }
    try:
        with emulated(HTTP, cwd=tmp_path, env=env, concurrency=1) as (_, front, _lines):
            for n in range(2):
                started = time.monotonic()
                reply = httpx.get(f"http://127.0.0.1:{front.port}/items/{n}", timeout=20)
                assert reply.status_code == 200
                assert reply.json() == {"id": n}
                assert time.monotonic() - started < 3.5
    finally:
        silent.close()
