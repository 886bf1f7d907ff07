"""`aloft lambda serve` fails where Lambda fails, with Lambda's own error shapes.

Figures from AWS's documentation: synchronous requests up to 6 MiB (6291456 bytes, "Request
must be smaller than 6291456 bytes for the InvokeFunction operation"), responses up to 6291556
bytes (Function.ResponseSizeTooLarge), 1 MiB each way behind an ALB.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from aloft.serverless import emulator as emulator_module
from aloft.serverless.emulator import REQUEST_LIMIT, RESPONSE_LIMIT
from aloft.serverless.http_events import http_event
from lambdakit import ALOFT_BOOTSTRAP, awslambdaric, emulated

CLIENTS = {
    "aloft": lambda handler: [*ALOFT_BOOTSTRAP, handler],
    "awslambdaric": awslambdaric,
}


def invoke_url(front: Any) -> str:
    return f"http://127.0.0.1:{front.port}/2015-03-31/functions/fn/invocations"


# -- the 6 MB limits --------------------------------------------------------------------------


def test_a_request_over_6_mib_is_refused_and_the_function_never_runs() -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.event_type"]) as (emulator, front, _):
        over = json.dumps("A" * (REQUEST_LIMIT - 1)).encode()  # one byte over, in quotes
        response = httpx.post(invoke_url(front), content=over, timeout=30)
        assert response.status_code == 413
        assert response.headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
        assert response.json()["Message"] == (
            "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
        )
        assert emulator.warm_workers() == 0
        at_limit = json.dumps("A" * (REQUEST_LIMIT - 2)).encode()
        assert len(at_limit) == REQUEST_LIMIT
        response = httpx.post(invoke_url(front), content=at_limit, timeout=30)
        assert response.status_code == 200 and response.json() == "str"


@pytest.mark.parametrize(("fmt", "size"), [("v2", REQUEST_LIMIT), ("alb", 1024 * 1024 + 1)])
def test_an_http_request_too_large_for_lambda_gets_a_413(fmt: str, size: int) -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.http"], fmt=fmt) as (emulator, front, _):  # type: ignore[arg-type]
        response = httpx.post(
            f"http://127.0.0.1:{front.port}/upload",
            content=b"x" * size,
            headers={"content-type": "text/plain"},
            timeout=30,
        )
        assert response.status_code == 413
        assert emulator.warm_workers() == 0


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_a_response_over_the_limit_fails_as_on_lambda(client: str) -> None:
    with emulated(CLIENTS[client]("lambda_testfn.sized")) as (emulator, front, _):
        fits = emulator.invoke(json.dumps({"size": RESPONSE_LIMIT}).encode())
        assert fits.ok and len(fits.payload) == RESPONSE_LIMIT
        over = httpx.post(invoke_url(front), json={"size": RESPONSE_LIMIT + 1}, timeout=30)
    assert over.status_code == 200
    assert over.headers["x-amz-function-error"] == "Unhandled"
    assert over.json() == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        "(6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }


def test_an_http_response_of_6_29_mb_is_an_error_not_a_200() -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.sized_http"]) as (_, front, _):
        base = f"http://127.0.0.1:{front.port}/big"
        fits = httpx.get(base, params={"size": 6_000_000}, timeout=30)
        # 6.29 MB of body: the payload around it is over 6291556 bytes.
        response = httpx.get(base, params={"size": RESPONSE_LIMIT}, timeout=30)
    assert fits.status_code == 200 and len(fits.content) == 6_000_000
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


# -- a robust HTTP front ----------------------------------------------------------------------


def raw_request(port: int, head: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head)
        answer = b""
        while True:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                raise AssertionError(f"no answer within 5 s; got {answer!r}") from None
            if not data:
                return answer
            answer += data


@pytest.mark.parametrize("length", [b"abc", b"-1", b"1, 2"])
def test_a_bad_content_length_gets_a_400_and_no_traceback(
    length: bytes, capfd: pytest.CaptureFixture[str]
) -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.http"]) as (emulator, front, lines):
        answer = raw_request(
            front.port,
            b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: " + length + b"\r\n\r\nbody",
        )
        assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
        assert b"connection: close" in answer.lower()
        assert emulator.warm_workers() == 0  # nothing was invoked
        # The front still serves the next client.
        assert httpx.get(f"http://127.0.0.1:{front.port}/ok", timeout=20).status_code == 201
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out + "\n".join(lines)


def test_a_chunked_request_body_reaches_the_function() -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.http"]) as (_, front, _):
        answer = raw_request(
            front.port,
            b"POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
            b"\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
        )
    assert answer.startswith(b"HTTP/1.1 201 ")
    assert b'"body": "hello world"' in answer


# -- Lambda's error shapes --------------------------------------------------------------------


def test_a_timeout_is_reported_in_lambdas_shape() -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.slow"], timeout=1.0) as (emulator, _, _):
        result = emulator.invoke(b'{"seconds": 5}')
    assert result.status == "timeout"
    assert json.loads(result.payload) == {
        "errorMessage": f"RequestId: {result.request_id} Error: Task timed out after 1.00 seconds",
        "errorType": "Sandbox.Timedout",
    }


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_a_runtime_that_exits_is_a_runtime_exit_error(client: str) -> None:
    with emulated(CLIENTS[client]("lambda_testfn.crash")) as (emulator, _, _):
        result = emulator.invoke(b"{}")
    assert result.status == "crashed"
    assert json.loads(result.payload) == {
        "errorMessage": f"RequestId: {result.request_id} Error: Runtime exited with error: "
        "exit status 3",
        "errorType": "Runtime.ExitError",
    }


def test_invalid_json_is_a_runtime_unmarshal_error_from_both_clients() -> None:
    errors = {}
    for name, command in CLIENTS.items():
        with emulated(command("lambda_testfn.event_type")) as (emulator, _, _):
            result = emulator.invoke(b'{"not json')
        assert result.status == "error"
        error = json.loads(result.payload)
        assert error.pop("requestId") == result.request_id
        errors[name] = error
    assert errors["aloft"] == errors["awslambdaric"]  # the same wording for this error
    assert errors["aloft"]["errorType"] == "Runtime.UnmarshalError"
    assert errors["aloft"]["errorMessage"].startswith("Unable to unmarshal input: ")
    assert errors["aloft"]["stackTrace"] == []


def test_the_invoke_api_refuses_a_body_that_is_not_json() -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.event_type"]) as (emulator, front, _):
        response = httpx.post(invoke_url(front), content=b"{oops", timeout=20)
        assert response.status_code == 400
        assert response.headers["x-amzn-errortype"] == "InvalidRequestContentException"
        assert emulator.warm_workers() == 0


def test_an_empty_payload_reaches_the_handler_as_none() -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.event_type"]) as (_, front, _):
        response = httpx.post(invoke_url(front), content=b"", timeout=20)
    assert response.status_code == 200 and response.json() == "NoneType"


# -- shutdown ---------------------------------------------------------------------------------


@pytest.mark.parametrize("extensions", [False, True])
def test_shutdown_hooks_run_only_where_lambda_sends_sigterm(
    extensions: bool, tmp_path: Path
) -> None:
    mark = tmp_path / "shutdown"
    with emulated(
        [*ALOFT_BOOTSTRAP, "lambda_shutdown.handler"],
        env={"SHUTDOWN_MARK": str(mark)},
        extensions=extensions,
    ) as (emulator, front, _):
        assert httpx.get(f"http://127.0.0.1:{front.port}/", timeout=20).status_code == 200
        pids = emulator.worker_pids()
        emulator.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    # Without extensions Lambda freezes and kills the environment: no hook runs, as here.
    assert mark.exists() is extensions


# -- parity: aloft's client and AWS's awslambdaric on the same events -------------------------


def _normal(result: Any) -> tuple[str, Any]:
    """A result without what differs by nature between runs (ids, stack frames)."""
    text = result.payload.decode().replace(result.request_id, "<request-id>")
    payload = json.loads(text) if text else None
    if isinstance(payload, dict):
        payload.pop("requestId", None)
        payload.pop("stackTrace", None)
        if payload.get("errorType") == "Runtime.UnmarshalError":
            # awslambdaric parses with simplejson, whose wording differs from the stdlib's
            # ("delimiter or ']'"): the same error, the parser's own detail.
            payload["errorMessage"] = payload["errorMessage"].partition(": ")[0]
        for key in ("headers", "multiValueHeaders"):
            headers = payload.get(key)
            if isinstance(headers, dict):
                headers.pop("x-request-id", None)
    return result.status, payload


PARITY_EVENTS: list[tuple[str, bytes]] = [
    ("lambda_testfn.http", json.dumps(http_event("v2", "GET", "/a", "q=1", [])).encode()),
    ("lambda_testfn.http", json.dumps(http_event("v1", "POST", "/b", "", [], b"{}")).encode()),
    ("lambda_testfn.http", json.dumps(http_event("alb", "GET", "/c", "x=a+b", [])).encode()),
    ("lambda_testfn.http", b'{"not": "http"}'),
    ("lambda_testfn.dumps", b'{"k": [1, 2, {"n": null}]}'),
    ("lambda_testfn.dumps", b'"a string event"'),
    ("lambda_testfn.fail", b"{}"),
    ("lambda_testfn.event_type", b"[1, 2"),
    ("lambda_testfn.sized", json.dumps({"size": RESPONSE_LIMIT + 10}).encode()),
    ("lambda_testfn.crash", b"{}"),
]


def test_aloft_and_awslambdaric_give_the_same_results_through_serve() -> None:
    handlers = list(dict.fromkeys(handler for handler, _ in PARITY_EVENTS))
    results: dict[str, dict[int, tuple[str, Any]]] = {name: {} for name in CLIENTS}
    for name, command in CLIENTS.items():
        for handler in handlers:  # one environment per handler, events in order
            with emulated(command(handler), concurrency=1) as (emulator, _, _):
                for index, (of, payload) in enumerate(PARITY_EVENTS):
                    if of == handler:
                        results[name][index] = _normal(emulator.invoke(payload))
    for index, (handler, payload) in enumerate(PARITY_EVENTS):
        assert results["aloft"][index] == results["awslambdaric"][index], (handler, payload[:80])
    statuses = [results["aloft"][i][0] for i in range(len(PARITY_EVENTS))]
    assert statuses == ["ok", "ok", "ok", "error", "ok", "ok", "error", "error", "error", "crashed"]


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_a_handler_error_is_traced_from_the_users_code_not_the_runtime(client: str) -> None:
    with emulated(CLIENTS[client]("lambda_testfn.fail")) as (emulator, _, _):
        result = emulator.invoke(b"{}")
    error = json.loads(result.payload)
    assert (error["errorType"], error["errorMessage"]) == ("KeyError", "'missing thing'")
    assert error["requestId"] == result.request_id
    assert "lambda_testfn.py" in error["stackTrace"][0]
    assert not any("runtime_api.py" in frame for frame in error["stackTrace"])


def test_an_alb_response_over_1_mib_is_a_502() -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.sized_http"], fmt="alb") as (_, front, _):
        base = f"http://127.0.0.1:{front.port}/big"
        fits = httpx.get(base, params={"size": 1_000_000}, timeout=30)
        over = httpx.get(base, params={"size": 1_048_576}, timeout=30)
    assert fits.status_code == 200 and len(fits.content) == 1_000_000
    assert over.status_code == 502 and b"502 Bad Gateway" in over.content


def test_api_gateway_stops_waiting_at_its_own_integration_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A function allowed 5 s behind an API that waits 0.5 s (29 s on AWS): a 504 at 0.5 s."""
    monkeypatch.setitem(emulator_module.GATEWAY_TIMEOUT, "v2", 0.5)
    with emulated([*ALOFT_BOOTSTRAP, "lambda_stream.handler"], timeout=5.0) as (_, front, _):
        httpx.get(f"http://127.0.0.1:{front.port}/small", timeout=20)  # warm
        started = time.monotonic()
        response = httpx.get(f"http://127.0.0.1:{front.port}/chunks?n=3&gap=0.6", timeout=20)
        waited = time.monotonic() - started
    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}
    assert 0.45 < waited < 1.0


def test_a_huge_declared_body_is_refused_without_reading_it() -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.http"]) as (emulator, front, _):
        started = time.monotonic()
        answer = raw_request(
            front.port, b"POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000000\r\n\r\nab"
        )
        assert time.monotonic() - started < 2
        assert emulator.warm_workers() == 0
    assert answer.startswith(b"HTTP/1.1 413 ")


# Headers that differ between two servers by nature: each front's own port, a fresh trace id.
_PER_SERVER = {"host", "x-forwarded-port", "x-amzn-trace-id"}


@pytest.mark.parametrize("fmt", ["v2", "v1", "alb", "url"])
def test_real_http_through_serve_answers_the_same_with_either_client(fmt: str) -> None:
    requests: list[tuple[str, str, bytes]] = [
        ("GET", "/a?q=1&q=2", b""),
        ("POST", "/b", b'{"n": 1}'),
        ("GET", "/boom", b""),
        ("PUT", "/raw", bytes(range(256))),
    ]
    answers: dict[str, list[tuple[int, str, bytes]]] = {}
    for name, command in CLIENTS.items():
        answers[name] = []
        with (
            emulated(command("lambda_testfn.http"), fmt=fmt) as (_, front, _),  # type: ignore[arg-type]
            httpx.Client(base_url=f"http://127.0.0.1:{front.port}", timeout=20) as client,
        ):
            for method, path, body in requests:
                response = client.request(
                    method, path, content=body, headers={"content-type": "text/plain"}
                )
                seen = response.content
                if response.headers.get("content-type") == "application/json":
                    payload = response.json()
                    if isinstance(payload, dict) and "headers" in payload:
                        payload["headers"] = [
                            h for h in payload["headers"] if h[0] not in _PER_SERVER
                        ]
                    seen = json.dumps(payload).encode()
                cookies = ",".join(response.headers.get_list("set-cookie"))
                answers[name].append((response.status_code, cookies, seen))
    assert answers["aloft"] == answers["awslambdaric"]
    assert [status for status, _, _ in answers["aloft"]] == [201, 201, 500, 200]
