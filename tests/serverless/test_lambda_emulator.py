"""The emulator and the Runtime API: aloft's bootstrap and AWS's awslambdaric as clients."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from aloft.serverless.emulator import Emulator
from aloft.serverless.http_events import http_event
from lambdakit import ALOFT_BOOTSTRAP, awslambdaric, emulated, json_lines

CLIENTS = {
    "aloft": lambda handler: [*ALOFT_BOOTSTRAP, handler],
    "awslambdaric": awslambdaric,
}


def invoke(emulator: Emulator, event: Any) -> tuple[str, Any, int]:
    result = emulator.invoke(json.dumps(event).encode())
    return result.status, json.loads(result.payload), emulator.worker_pids()[0]


@pytest.fixture(scope="module", params=sorted(CLIENTS))
def http_function(request: pytest.FixtureRequest) -> Iterator[tuple[Emulator, Any, list[str]]]:
    with emulated(CLIENTS[request.param]("lambda_testfn.http"), concurrency=1) as running:
        yield running


def test_real_http_requests_reach_the_app_as_http_api_events(http_function: Any) -> None:
    _, front, _ = http_function
    with httpx.Client(base_url=f"http://127.0.0.1:{front.port}") as client:
        response = client.post(
            "/orders?x=1",
            content=b'{"n":1}',
            headers={"content-type": "application/json", "cookie": "s=1"},
        )
    assert response.status_code == 201
    seen = response.json()
    assert (seen["method"], seen["path"], seen["query"], seen["body"]) == (
        "POST",
        "/orders",
        "x=1",
        '{"n":1}',
    )
    assert ["cookie", "s=1"] in seen["headers"]
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]


def test_lambda_request_and_trace_ids_are_in_the_json_logs(http_function: Any) -> None:
    _, front, lines = http_function
    response = httpx.get(f"http://127.0.0.1:{front.port}/logged")
    request_id = response.headers["x-request-id"]
    deadline = time.monotonic() + 5
    access: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not access:
        access = [
            line
            for line in json_lines(lines)
            if line.get("request_id") == request_id and line.get("logger") == "aloft.access"
        ]
        time.sleep(0.02)
    assert access, lines[-5:]
    assert access[0]["path"] == "/logged"
    assert access[0]["service"] == "fn"
    assert len(access[0]["trace_id"]) == 32


def test_direct_invocation_gets_the_handlers_result_and_lambda_environment() -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.info"]) as (_, front, _):
        response = httpx.post(
            f"http://127.0.0.1:{front.port}/2015-03-31/functions/fn/invocations", json={"k": "v"}
        )
    assert response.status_code == 200
    result = response.json()
    assert result["event"] == {"k": "v"}
    assert 0 < result["remaining_ms"] <= 10_000
    env = result["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "fn"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert env["_X_AMZN_TRACE_ID"].startswith("Root=1-")
    assert {"AWS_REGION", "LAMBDA_TASK_ROOT", "AWS_LAMBDA_RUNTIME_API"} <= set(env)


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_handler_errors_are_reported_and_the_loop_keeps_serving(client: str) -> None:
    with emulated(CLIENTS[client]("lambda_testfn.http")) as (emulator, front, _):
        status, error, pid = invoke(emulator, {"not": "http"})
        assert status == "error"
        assert error["errorType"] == "UnknownEventError" and "keys not" in error["errorMessage"]
        response = httpx.post(
            f"http://127.0.0.1:{front.port}/2015-03-31/functions/fn/invocations", json={"x": 1}
        )
        assert response.headers["x-amz-function-error"] == "Unhandled"
        status, result, pid_after = invoke(emulator, http_event("v2", "GET", "/", "", []))
        assert status == "ok" and result["statusCode"] == 201
        assert pid_after == pid


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_import_failure_is_reported_as_an_init_error(client: str) -> None:
    with emulated(CLIENTS[client]("lambda_badinit.handler")) as (emulator, _, _):
        result = emulator.invoke(b"{}")
    assert result.status == "init-error"
    assert "cannot connect to the database" in result.payload.decode()


def test_warm_environments_are_reused() -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.slow"]) as (emulator, _, _):
        results = [emulator.invoke(b'{"seconds": 0}') for _ in range(4)]
    assert [r.cold for r in results] == [True, False, False, False]
    assert len({json.loads(r.payload)["pid"] for r in results}) == 1


def test_concurrent_invocations_run_in_separate_environments() -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.slow"], concurrency=3) as (emulator, _, _):
        emulator.invoke(b'{"seconds": 0}')  # one warm before the burst
        results: list[Any] = []

        def call() -> None:
            results.append(emulator.invoke(b'{"seconds": 0.6}'))

        threads = [threading.Thread(target=call) for _ in range(3)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    assert all(r.ok for r in results)
    assert len({json.loads(r.payload)["pid"] for r in results}) == 3
    assert elapsed < 1.7  # 3 x 0.6 s in sequence would be 1.8 s plus cold starts


def test_timeout_kills_the_environment_and_the_next_call_starts_cold() -> None:
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.slow"], timeout=1.0) as (emulator, _, _):
        first = emulator.invoke(b'{"seconds": 0}')
        started = time.monotonic()
        timed_out = emulator.invoke(b'{"seconds": 5}')
        assert time.monotonic() - started < 2.5
        after = emulator.invoke(b'{"seconds": 0}')
    assert timed_out.status == "timeout"
    assert "Task timed out after 1.00 seconds" in timed_out.payload.decode()
    assert after.ok and after.cold
    assert json.loads(after.payload)["pid"] != json.loads(first.payload)["pid"]


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_a_crashing_environment_is_replaced(client: str) -> None:
    with emulated(CLIENTS[client]("lambda_testfn.crash")) as (emulator, _, _):
        crashed = emulator.invoke(b"{}")
        assert crashed.status == "crashed" and "Runtime.ExitError" in crashed.payload.decode()
        again = emulator.invoke(b"{}")
        assert again.status == "crashed" and again.cold


def test_sqs_batch_failures_through_the_runtime() -> None:
    records = [
        {
            "messageId": f"id-{i}",
            "body": json.dumps({"fail": i in (1, 3)}),
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:1:q",
        }
        for i in range(5)
    ]
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.events_only"]) as (emulator, _, _):
        status, result, _ = invoke(emulator, {"Records": records})
    assert status == "ok"
    assert result == {"batchItemFailures": [{"itemIdentifier": "id-1"}, {"itemIdentifier": "id-3"}]}
