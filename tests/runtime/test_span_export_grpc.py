"""Spans exported over OTLP/gRPC (`protocol = "grpc"`) to a real loopback gRPC receiver.

The same server under `aloft run` as the HTTP tests (test_span_export.py), with the gRPC
exporter: the receiver gets the spans with the ids the caller sent, a stopping worker flushes
its last ones, and a receiver that never answers does not hold requests or the drain.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from otlp import GrpcReceiver
from testkit import Server

SERVER = 2  # OTLP Span.SpanKind

ITEMS = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/items/{item_id}")
def item(item_id: int):
    return {"id": item_id}
"""


def project(folder: Path, endpoint: str) -> Path:
    folder.mkdir()
    (folder / "items.py").write_text(textwrap.dedent(ITEMS))
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "items"\nversion = "2.0.1"\n'
        '[tool.aloft]\napp = "items:app"\n'
        f'[tool.aloft.tracing]\nexporter = "otlp"\nprotocol = "grpc"\nendpoint = "{endpoint}"\n'
    )
    return folder


@pytest.fixture
def receiver() -> Iterator[GrpcReceiver]:
    started = GrpcReceiver().start()
    yield started
    started.stop()


def test_server_spans_reach_a_grpc_receiver_with_the_callers_trace(
    run_server: Any, receiver: GrpcReceiver, tmp_path: Path
) -> None:
    from test_workers import worker_pids

    server: Server = run_server(
        project(tmp_path / "items", receiver.endpoint),
        workers=2,
        # gzip is only shown not to break export: the receiver's grpcio decompresses unseen.
        env={
            "OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=shop",
            "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
        },
    )
    sent: dict[int, tuple[str, str]] = {}
    for n in range(6):
        trace_id, parent = secrets.token_hex(16), secrets.token_hex(8)
        sent[n] = (trace_id, parent)
        reply = server.get(f"/items/{n}", headers={"traceparent": f"00-{trace_id}-{parent}-01"})
        assert reply.status == 200

    spans = receiver.wait_for(6, **{"http__route": "/items/{item_id}"})
    assert len(spans) == 6
    by_path = {s.attributes["url.path"]: s for s in spans}
    assert set(by_path) == {f"/items/{n}" for n in range(6)}
    for n, (trace_id, parent) in sent.items():
        span = by_path[f"/items/{n}"]
        assert span.name == "GET /items/{item_id}" and span.kind == SERVER
        assert (span.trace_id, span.parent_span_id) == (trace_id, parent)
        assert span.attributes["http.request.method"] == "GET"
        assert span.attributes["http.response.status_code"] == 200
        assert span.resource["service.name"] == "items"
        assert span.resource["service.version"] == "2.0.1"
    # The ids on the access lines are the exported ones.
    logged = {(r["trace_id"], r["span_id"]) for r in server.access_lines()}
    assert {(s.trace_id, s.span_id) for s in spans} <= logged
    # Exported by the workers (the gRPC channel is made after the fork), not by the master.
    pids = {s.resource["process.pid"] for s in spans}
    assert pids and pids <= worker_pids(server)
    # grpc is imported in the master (before the fork) but starts no thread there.
    assert len(os.listdir(f"/proc/{server.process.pid}/task")) == 1
    assert not [line for line in server.stderr if "fork" in line.lower()]
    # Over gRPC (the exporter's user agent), with OTEL_EXPORTER_OTLP_HEADERS as call metadata.
    assert receiver.metadata
    assert all("grpc-python" in m["user-agent"] for m in receiver.metadata)
    assert all(m.get("x-tenant") == "shop" for m in receiver.metadata)


HELLO = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hi"]
"""


def hello(folder: Path, endpoint: str) -> Path:
    folder.mkdir()
    (folder / "hello.py").write_text(textwrap.dedent(HELLO))
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "hello"\nversion = "1.0.0"\n'
        '[tool.aloft]\napp = "hello:app"\n'
        f'[tool.aloft.tracing]\nexporter = "otlp"\nprotocol = "grpc"\nendpoint = "{endpoint}"\n'
    )
    return folder


def test_workers_flush_their_last_spans_over_grpc_when_they_stop(
    run_server: Any, receiver: GrpcReceiver, tmp_path: Path
) -> None:
    # The export thread's own schedule never comes: only the flush on the way out delivers.
    server: Server = run_server(
        hello(tmp_path / "hello", receiver.endpoint),
        workers=2,
        env={"OTEL_BSP_SCHEDULE_DELAY": "600000"},
    )
    for _ in range(5):
        assert server.get("/").status == 200
    assert receiver.wait_for(1, timeout=1) == []
    assert server.terminate() == 0
    assert len(receiver.spans) == 5
    assert {s.attributes["url.path"] for s in receiver.spans} == {"/"}


def test_export_resumes_when_the_grpc_receiver_comes_back(
    run_server: Any, receiver: GrpcReceiver, tmp_path: Path
) -> None:
    # A collector restarted (a rollout): the worker's channel lost its connection, and the
    # spans after it must reach the new receiver on the same address.
    server: Server = run_server(
        hello(tmp_path / "hello", receiver.endpoint),
        workers=1,
        env={"OTEL_BSP_SCHEDULE_DELAY": "100"},
    )
    assert server.get("/before").status == 200
    assert len(receiver.wait_for(1, **{"url__path": "/before"})) == 1
    receiver.stop()
    again = GrpcReceiver(port=receiver.port).start()
    try:
        assert server.get("/after").status == 200
        assert len(again.wait_for(1, timeout=20, **{"url__path": "/after"})) == 1
    finally:
        again.stop()


def test_an_https_endpoint_exports_over_tls(run_server: Any, tmp_path: Path) -> None:
    # A receiver that speaks TLS only, its certificate trusted through the standard variable.
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        capture_output=True,
        check=True,
    )
    receiver = GrpcReceiver(tls=(key, cert)).start()
    try:
        assert receiver.endpoint.startswith("https://")
        server: Server = run_server(
            hello(tmp_path / "hello", receiver.endpoint),
            env={"OTEL_EXPORTER_OTLP_CERTIFICATE": str(cert), "OTEL_BSP_SCHEDULE_DELAY": "100"},
        )
        assert server.get("/secure").status == 200
        assert len(receiver.wait_for(1, **{"url__path": "/secure"})) == 1
    finally:
        receiver.stop()


def _refused() -> str:
    """A loopback port nothing listens on."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.parametrize("peer", ["silent", "refused"])
def test_an_unreachable_grpc_receiver_slows_no_request_and_no_drain(
    peer: str, run_server: Any, tmp_path: Path
) -> None:
    # silent: takes the connection and never speaks HTTP/2; refused: nothing listens.
    silent = socket.create_server(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{silent.getsockname()[1]}" if peer == "silent" else _refused()
    try:
        server: Server = run_server(
            hello(tmp_path / "hello", dead),
            workers=1,
            env={
                # Exports every 50 ms, each waiting up to 30 s: all the while requests come in.
                "OTEL_BSP_SCHEDULE_DELAY": "50",
                "OTEL_EXPORTER_OTLP_TIMEOUT": "30",
                "ALOFT_DRAIN_TIMEOUT": "6",
            },
        )
        slowest = 0.0
        for _ in range(20):
            started = time.monotonic()
            assert server.get("/", timeout=5).status == 200
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.05)
        assert slowest < 1.0
        started = time.monotonic()
        assert server.terminate() == 0
        # The worker's flush gives up within half the 6 s drain timeout; no SIGKILL.
        assert time.monotonic() - started < 5
        assert not [r for r in server.lines if "SIGKILL" in str(r.get("message", ""))]
    finally:
        silent.close()


def _by_hand(tmp_path: Path, otel: dict[str, str]) -> dict[str, str]:
    """The environment of `python -m aloft.runtime serve` with only the standard variables
    `otel` (no [tool.aloft.tracing])."""
    (tmp_path / "hello.py").write_text(textwrap.dedent(HELLO))
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ALOFT_", "OTEL_"))},
        "PYTHONPATH": str(tmp_path),
        "ALOFT_APP": "hello:app",
        "ALOFT_HOST": "127.0.0.1",
        "ALOFT_PORT": "0",
        "ALOFT_WORKERS": "1",
        "ALOFT_LOG_FORMAT": "json",
        "ALOFT_SERVICE": "by-hand",
        "ALOFT_DRAIN_DELAY": "0.2",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "OTEL_TRACES_EXPORTER": "otlp",
        **otel,
    }


@pytest.mark.parametrize(
    "protocol",
    [
        {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"},
        # The traces variable wins over the general one.
        {
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc",
        },
        # Written in capitals it is still grpc (it once fell back to HTTP: every span lost).
        {"OTEL_EXPORTER_OTLP_PROTOCOL": "GRPC"},
    ],
    ids=["traces-variable", "traces-over-general", "capitals"],
)
def test_grpc_set_by_hand_exports_the_same(
    protocol: dict[str, str], receiver: GrpcReceiver, tmp_path: Path
) -> None:
    env = _by_hand(tmp_path, {**protocol, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint})
    process = subprocess.Popen(
        [sys.executable, "-m", "aloft.runtime", "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    server = Server(process)
    server.start_readers()
    try:
        server.wait_listening()
        assert server.get("/hand").status == 200
        spans = receiver.wait_for(1, **{"url__path": "/hand"})
        assert len(spans) == 1
        assert spans[0].resource["service.name"] == "by-hand"
        assert spans[0].resource["process.pid"] != process.pid
    finally:
        assert server.terminate() == 0


@pytest.mark.parametrize(
    ("variable", "value"),
    [("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"), ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpcc")],
)
def test_a_protocol_without_an_exporter_is_one_line_exit_2(
    variable: str, value: str, tmp_path: Path
) -> None:
    # Not a silent fallback to http/protobuf: spans posted to a port that does not speak it.
    done = subprocess.run(
        [sys.executable, "-m", "aloft.runtime", "serve"],
        capture_output=True,
        text=True,
        env=_by_hand(tmp_path, {variable: value}),
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert f"{variable}={value}" in done.stderr and "grpc" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_grpc_asked_for_without_its_exporter_is_one_line_exit_2(tmp_path: Path) -> None:
    # The app has the SDK and the HTTP exporter (aloft-runtime[otel]) but not the gRPC one.
    shadow = tmp_path / "shadow" / "opentelemetry" / "exporter" / "otlp" / "proto" / "grpc"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('not installed')\n")
    env = _by_hand(tmp_path, {"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
    env["PYTHONPATH"] = f"{tmp_path / 'shadow'}{os.pathsep}{env['PYTHONPATH']}"
    done = subprocess.run(
        [sys.executable, "-m", "aloft.runtime", "serve"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "opentelemetry-exporter-otlp-proto-grpc" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
