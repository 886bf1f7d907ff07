"""Spans exported over OTLP to a real (loopback) receiver, from pre-forked workers.

Two services under `aloft run`, several workers each, call each other: the receiver gets one
trace per request with the right parent/child structure across the two processes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from otlp import ReceivedSpan, Receiver
from testkit import Server

SERVER, CLIENT = 2, 3  # OTLP Span.SpanKind values

BACK = """
from flask import Flask, jsonify
import logging

app = Flask(__name__)


@app.get("/items/<int:item_id>")
def item(item_id):
    logging.getLogger("back").info("looking up %s", item_id)
    return jsonify(id=item_id)


@app.get("/boom")
def boom():
    raise RuntimeError("no")
"""

FRONT = """
import os

import httpx
from fastapi import FastAPI

app = FastAPI()
BACK = os.environ["BACK_URL"]


@app.get("/orders/{order_id}")
async def order(order_id: int):
    async with httpx.AsyncClient() as client:
        reply = await client.get(f"{BACK}/items/{order_id}")
    return {"order": order_id, "item": reply.json()}
"""


def project(folder: Path, name: str, source: str, tracing: str) -> Path:
    folder.mkdir()
    (folder / f"{name}.py").write_text(textwrap.dedent(source))
    (folder / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "1.2.3"\n'
        f'[tool.aloft]\napp = "{name}:app"\nlog_sample_rate = 0.0\n'
        f"[tool.aloft.tracing]\n{textwrap.dedent(tracing)}"
    )
    return folder


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


def by_id(spans: list[ReceivedSpan]) -> dict[str, ReceivedSpan]:
    return {s.span_id: s for s in spans}


def test_two_services_export_one_trace_per_request_across_processes(
    run_server: Any, receiver: Receiver, tmp_path: Path
) -> None:
    tracing = f'exporter = "otlp"\nendpoint = "{receiver.endpoint}"\n'
    back_dir = project(tmp_path / "back", "back", BACK, tracing)
    front_dir = project(tmp_path / "front", "front", FRONT, tracing + 'instrument = ["httpx"]\n')
    back: Server = run_server(back_dir, workers=2)
    front: Server = run_server(front_dir, workers=2, env={"BACK_URL": back.base})

    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda n: front.get(f"/orders/{n}"), range(12)))
    assert [r.status for r in replies] == [200] * 12

    roots = receiver.wait_for(12, **{"http__route": "/orders/{order_id}"})
    backs = receiver.wait_for(12, **{"http__route": "/items/{item_id}"})
    assert len(roots) == 12 and len(backs) == 12
    spans = by_id(receiver.spans)
    for root in roots:
        assert root.kind == SERVER and root.parent_span_id == ""
        assert root.name == "GET /orders/{order_id}"
        assert root.attributes["http.request.method"] == "GET"
        assert root.attributes["http.response.status_code"] == 200
        assert root.resource["service.name"] == "front"
        assert root.resource["service.version"] == "1.2.3"
        # The httpx call's span is the server span's child, and the back's server span its.
        client = next(
            s for s in receiver.spans if s.parent_span_id == root.span_id and s.kind == CLIENT
        )
        served = next(s for s in backs if s.parent_span_id == client.span_id)
        assert client.trace_id == served.trace_id == root.trace_id
        assert served.resource["service.name"] == "back"
        # What causality orders, across two processes on one clock: the back serves inside the
        # front's call, and the call inside the request. Not when the back's span ends: it ends
        # after the last byte is sent, and the front may finish first on a busy machine.
        assert root.start_ns <= client.start_ns <= served.start_ns <= client.end_ns <= root.end_ns
        assert served.start_ns <= served.end_ns
    assert {s.trace_id for s in roots} == {s.trace_id for s in backs}
    assert len({s.trace_id for s in roots}) == 12
    assert all(s.span_id in spans for s in roots)

    # The spans' ids are the ones on the log lines: one trace, not two.
    logged = {(r["trace_id"], r["span_id"]) for r in front.access_lines()}
    assert {(s.trace_id, s.span_id) for s in roots} <= logged
    # A sampled trace keeps its log lines, although log_sample_rate = 0 drops the rest.
    back_logs = [r for r in back.lines if r.get("logger") == "back"]
    assert {r["trace_id"] for r in back_logs} == {s.trace_id for s in backs}

    # Exported by the workers, never by the master (whose SDK would not survive the fork).
    masters = {front.process.pid, back.process.pid}
    pids = {s.resource["process.pid"] for s in receiver.spans}
    assert pids and not pids & masters


HELLO = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hi"]
"""


def test_workers_flush_their_last_spans_when_they_stop(
    run_server: Any, receiver: Receiver, tmp_path: Path
) -> None:
    folder = project(
        tmp_path / "hello", "hello", HELLO, f'exporter = "otlp"\nendpoint = "{receiver.endpoint}"\n'
    )
    # The export thread's own schedule never comes: only the flush on the way out delivers.
    server: Server = run_server(folder, workers=2, env={"OTEL_BSP_SCHEDULE_DELAY": "600000"})
    for _ in range(5):
        assert server.get("/").status == 200
    assert receiver.wait_for(1, timeout=1) == []
    assert server.terminate() == 0
    assert len(receiver.spans) == 5
    assert {s.attributes["url.path"] for s in receiver.spans} == {"/"}


def test_an_unreachable_receiver_holds_no_worker_past_the_drain_timeout(
    run_server: Any, tmp_path: Path
) -> None:
    # A receiver that takes the connection and never answers: each export waits its timeout.
    silent = socket.create_server(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{silent.getsockname()[1]}"
    folder = project(
        tmp_path / "hello", "hello", HELLO, f'exporter = "otlp"\nendpoint = "{dead}"\n'
    )
    server: Server = run_server(
        folder,
        workers=1,
        env={
            "OTEL_BSP_SCHEDULE_DELAY": "600000",
            # The exporter would retry a refused connection this long on its own.
            "OTEL_EXPORTER_OTLP_TIMEOUT": "30",
            "ALOFT_DRAIN_TIMEOUT": "6",
        },
    )
    for _ in range(3):
        assert server.get("/").status == 200
    started = time.monotonic()
    assert server.terminate() == 0
    # drain_delay 0.2 s, then the worker's flush gives up within half the 6 s drain timeout
    # and the worker exits by itself, before gunicorn's graceful timeout (6 s) would kill it.
    assert time.monotonic() - started < 5
    assert not [r for r in server.lines if "SIGKILL" in str(r.get("message", ""))]
    silent.close()


def _without_opentelemetry(tmp_path: Path, otel: dict[str, str]) -> dict[str, str]:
    """The environment of a server that cannot import OpenTelemetry (the runtime alone, as in
    an image built without the extra)."""
    shadow = tmp_path / "shadow" / "opentelemetry"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('not installed')\n")
    (tmp_path / "hello.py").write_text(HELLO)
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("ALOFT_", "OTEL_"))},
        "PYTHONPATH": f"{tmp_path / 'shadow'}{os.pathsep}{tmp_path}",
        "ALOFT_APP": "hello:app",
        "ALOFT_HOST": "127.0.0.1",
        "ALOFT_PORT": "0",
        "ALOFT_WORKERS": "1",
        "ALOFT_LOG_FORMAT": "json",
        **otel,
    }


def test_export_asked_for_without_the_sdk_installed_is_one_line_exit_2(tmp_path: Path) -> None:
    env = _without_opentelemetry(tmp_path, {"OTEL_TRACES_EXPORTER": "otlp"})
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
    assert "aloft-runtime[otel]" in done.stderr


def test_an_endpoint_alone_without_the_sdk_serves_and_warns(tmp_path: Path) -> None:
    # A platform may set the endpoint for another SDK: the service still runs, and says so.
    env = _without_opentelemetry(tmp_path, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
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
        assert server.get("/").status == 200
        warning = server.wait_for(lambda r: r.get("logger") == "aloft.tracing")
        assert warning["level"] == "warning" and "aloft-runtime[otel]" in warning["message"]
    finally:
        assert server.terminate() == 0


CLIENTS_APP = """
import os

import boto3
import redis
import requests

BACK = os.environ["BACK_URL"]
store = redis.Redis.from_url(os.environ["REDIS_URL"])


def app(environ, start_response):
    requests.get(f"{BACK}/items/7", timeout=5).raise_for_status()
    store.set("seen", "1")
    boto3.client("sqs").list_queues()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"done"]
"""


def test_requests_redis_and_botocore_calls_are_child_spans_when_asked_for(
    run_server: Any, receiver: Receiver, tmp_path: Path, aws_env: str
) -> None:
    import os

    tracing = f'exporter = "otlp"\nendpoint = "{receiver.endpoint}"\n'
    back: Server = run_server(project(tmp_path / "back", "back", BACK, tracing), workers=1)
    front_dir = project(
        tmp_path / "calls",
        "calls",
        CLIENTS_APP,
        tracing + 'instrument = ["requests", "redis", "botocore"]\n',
    )
    aws = {k: os.environ[k] for k in os.environ if k.startswith("AWS_")}
    front: Server = run_server(front_dir, workers=2, env={"BACK_URL": back.base, **aws})
    assert front.get("/work").status == 200

    root = receiver.wait_for(1, **{"url__path": "/work"})[0]
    served = receiver.wait_for(1, **{"http__route": "/items/{item_id}"})[0]
    deadline = time.monotonic() + 10
    children: dict[str, ReceivedSpan] = {}
    while len(children) < 3 and time.monotonic() < deadline:
        children = {s.name: s for s in receiver.spans if s.parent_span_id == root.span_id}
        time.sleep(0.05)
    # Each client's own instrumentation, under the request's server span, in its trace.
    assert set(children) == {"GET", "SET", "SQS.ListQueues"}
    assert all(s.kind == CLIENT and s.trace_id == root.trace_id for s in children.values())
    assert children["SET"].attributes["db.system"] == "redis"
    assert children["SQS.ListQueues"].attributes["rpc.system"] == "aws-api"
    # requests passed the trace on: the back's server span is the requests span's child.
    assert served.parent_span_id == children["GET"].span_id
    assert served.trace_id == root.trace_id


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def test_the_sdk_is_imported_before_the_freeze_and_started_only_in_workers(
    run_server: Any, receiver: Receiver, tmp_path: Path
) -> None:
    from test_workers import worker_pids

    plain: Server = run_server(project(tmp_path / "plain", "plain", HELLO, ""), workers=2)
    traced_dir = project(
        tmp_path / "traced",
        "traced",
        HELLO,
        f'exporter = "otlp"\nendpoint = "{receiver.endpoint}"\n',
    )
    traced: Server = run_server(traced_dir, workers=2)
    assert traced.get("/").status == 200

    def frozen(server: Server) -> int:
        return int(next(r for r in server.lines if r.get("message") == "starting")["gc_frozen"])

    # OpenTelemetry's modules were imported in the master before gc.freeze(): frozen with the app.
    assert frozen(traced) > frozen(plain) + 1000
    # The master runs no export thread (it would not survive the fork); the workers export.
    assert _threads(traced.process.pid) == _threads(plain.process.pid) == 1
    assert traced.get("/").status == 200
    exported = {s.resource["process.pid"] for s in receiver.wait_for(2)}
    assert exported and exported <= worker_pids(traced)
