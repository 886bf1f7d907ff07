"""Response streaming: a Function URL in RESPONSE_STREAM mode sends the body as the app writes it.

The runtime speaks the Runtime API's streaming mode (chunked POST with
`Lambda-Runtime-Function-Response-Mode: streaming`, the http-integration-response prelude,
errors after the first byte in the `Lambda-Runtime-Function-Error-Type/-Body` trailers); the
emulator's front passes each chunk to the HTTP client as it arrives.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import httpx
import pytest

from aloft.serverless.emulator import StreamSink
from aloft.serverless.http_events import http_event
from lambdakit import ALOFT_BOOTSTRAP, awslambdaric, emulated


def arrivals(url: str) -> tuple[httpx.Response, list[tuple[float, bytes]]]:
    """Each piece of the body with the time it arrived, as `curl -N` would see them."""
    pieces: list[tuple[float, bytes]] = []
    with httpx.stream("GET", url, timeout=20) as response:
        for data in response.iter_raw():
            pieces.append((time.time(), data))
    return response, pieces


def lines_of(pieces: list[tuple[float, bytes]]) -> list[tuple[float, str]]:
    """(arrival time, line) for every line of the body."""
    out: list[tuple[float, str]] = []
    pending = b""
    for when, data in pieces:
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            out.append((when, line.decode()))
    return out


@pytest.fixture(scope="module")
def streaming() -> Any:
    with emulated(
        [*ALOFT_BOOTSTRAP, "lambda_stream.handler"], fmt="url", stream=True, concurrency=1
    ) as running:
        yield running


def test_each_chunk_reaches_the_client_while_the_app_is_still_writing(streaming: Any) -> None:
    _, front, _ = streaming
    started = time.time()
    response, pieces = arrivals(f"http://127.0.0.1:{front.port}/chunks?n=5&gap=0.2")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["x-kind"] == "chunks"
    assert response.headers["transfer-encoding"] == "chunked"
    lines = lines_of(pieces)
    assert [line.split()[1] for _, line in lines] == ["0", "1", "2", "3", "4"]
    for arrived, line in lines:
        written = float(line.split()[2])
        assert arrived - written < 0.15, line  # passed on as written, not held to the end
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(lines)]
    assert min(gaps) > 0.12, gaps  # the app's 0.2 s spacing survives the trip
    assert lines[0][0] - started < lines[-1][0] - started - 0.6


def test_server_sent_events_stream(streaming: Any) -> None:
    _, front, _ = streaming
    response, pieces = arrivals(f"http://127.0.0.1:{front.port}/events")
    assert response.headers["content-type"].startswith("text/event-stream")
    body = b"".join(data for _, data in pieces).decode()
    assert body == "".join(f"id: {i}\ndata: tick {i}\n\n" for i in range(3))
    assert len(pieces) >= 3


def test_status_and_cookies_come_from_the_prelude(streaming: Any) -> None:
    _, front, _ = streaming
    response = httpx.get(f"http://127.0.0.1:{front.port}/small", timeout=20)
    assert response.status_code == 201 and response.text == "small"
    assert [c.split(";")[0] for c in response.headers.get_list("set-cookie")] == ["a=1", "b=2"]


def test_an_error_before_the_first_byte_is_a_whole_500(streaming: Any) -> None:
    _, front, lines = streaming
    response = httpx.get(f"http://127.0.0.1:{front.port}/early", timeout=20)
    assert response.status_code == 500
    assert response.text == "Internal Server Error"  # Starlette's own, complete
    assert any("failed before the first byte" in line for line in lines)


def test_an_error_after_the_first_byte_cuts_the_response_and_is_reported(streaming: Any) -> None:
    _, front, lines = streaming
    received = b""
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("GET", f"http://127.0.0.1:{front.port}/chunks?n=5&gap=0.05&fail_at=2") as r,
    ):
        assert r.status_code == 200  # the status went out with the first byte
        for data in r.iter_raw():
            received += data
    assert received.count(b"chunk ") == 2
    reported = [line for line in lines if "failed mid-stream" in line]
    assert reported and '"errorType": "RuntimeError"' in reported[-1]
    assert "failed after 2 chunks" in reported[-1]
    # The environment survives its failed invocation and serves the next one.
    assert httpx.get(f"http://127.0.0.1:{front.port}/small", timeout=20).status_code == 201


class Collected(StreamSink):
    def __init__(self) -> None:
        self.content_type = ""
        self.chunks: list[bytes] = []
        self.ended: list[bytes | None] = []

    def start(self, content_type: str) -> None:
        self.content_type = content_type

    def write(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def end(self, error: bytes | None) -> None:
        self.ended.append(error)


def test_the_runtime_reports_a_mid_stream_error_in_lambdas_trailers(streaming: Any) -> None:
    emulator, _, _ = streaming
    event = http_event("url", "GET", "/chunks", "n=3&gap=0&fail_at=1", [("host", "h")])
    sink = Collected()
    result = emulator.invoke(json.dumps(event).encode(), sink=sink)
    assert sink.content_type == "application/vnd.awslambda.http-integration-response"
    head, _, body = b"".join(sink.chunks).partition(b"\0" * 8)
    assert json.loads(head)["statusCode"] == 200
    assert body.startswith(b"chunk 0 ")
    assert result.status == "error" and result.streamed
    error = json.loads(result.payload)
    assert (error["errorType"], error["errorMessage"]) == ("RuntimeError", "failed after 1 chunks")
    assert error["requestId"] == result.request_id
    assert sink.ended and sink.ended[-1] is not None


def test_a_wsgi_app_streams_too() -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_stream.wsgi_handler"], fmt="url", stream=True) as (
        _,
        front,
        _,
    ):
        _, pieces = arrivals(f"http://127.0.0.1:{front.port}/")
    lines = lines_of(pieces)
    assert len(lines) == 5
    assert all(arrived - float(line.split()[2]) < 0.15 for arrived, line in lines)


def test_without_streaming_the_body_arrives_whole_at_the_end() -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_stream.handler"], fmt="url") as (_, front, _):
        response, pieces = arrivals(f"http://127.0.0.1:{front.port}/chunks?n=4&gap=0.15")
    lines = lines_of(pieces)
    assert response.status_code == 200 and len(lines) == 4
    first_written = float(lines[0][1].split()[2])
    assert lines[0][0] - first_written > 0.4  # held until the app finished


def test_awslambdaric_cannot_stream_and_lambda_passes_its_payload_on_as_the_body() -> None:
    """AWS's Python client has no streaming mode: behind a RESPONSE_STREAM Function URL its
    JSON result would reach the client verbatim. The emulator shows it, as Lambda would."""
    with emulated(awslambdaric("lambda_stream.handler"), fmt="url", stream=True) as (_, front, _):
        response = httpx.get(f"http://127.0.0.1:{front.port}/small", timeout=20)
    assert response.status_code == 200
    assert response.json()["statusCode"] == 201  # the whole Lambda response, as the body


def test_an_app_that_raises_before_responding_gets_alofts_500_through_the_stream() -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.http"], fmt="url", stream=True) as (
        _,
        front,
        _,
    ):
        response = httpx.get(f"http://127.0.0.1:{front.port}/boom", timeout=20)
        again = httpx.get(f"http://127.0.0.1:{front.port}/fine", timeout=20)
    assert response.status_code == 500
    assert response.json() == {"error": "internal server error"}
    assert again.status_code == 201 and again.json()["path"] == "/fine"
