"""On Lambda every invocation's span reaches the receiver before the invocation returns.

The export thread's own schedule is pushed past the test (OTEL_BSP_SCHEDULE_DELAY), so only the
flush at the end of each invocation can deliver a span; the environment is then frozen and
killed without SIGTERM, as Lambda does to a function without extensions.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lambdakit import ALOFT_BOOTSTRAP, awslambdaric, emulated
from otlp import Receiver

FUNCTION = """
from fastapi import FastAPI

from aloft.runtime.aws_lambda import lambda_handler

app = FastAPI()


@app.get("/items/{item_id}")
def item(item_id: int):
    return {"id": item_id}


http = lambda_handler(app)
events = lambda_handler()


@events.on_sqs
def message(record):
    if record["body"] == "bad":
        raise ValueError("bad message")
"""

CLIENTS = {"aloft": lambda h: [*ALOFT_BOOTSTRAP, h], "awslambdaric": awslambdaric}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


def _env(receiver: Receiver) -> dict[str, str]:
    return {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "600000",
        "ALOFT_SERVICE": "items",
    }


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_every_invocations_span_is_exported_before_it_returns(
    client: str, receiver: Receiver, tmp_path: Path
) -> None:
    (tmp_path / "spanfn.py").write_text(textwrap.dedent(FUNCTION))
    with emulated(
        CLIENTS[client]("spanfn.http"), cwd=tmp_path, env=_env(receiver), concurrency=1
    ) as (_, front, _lines):
        ids = []
        for n in range(5):
            reply = httpx.get(f"http://127.0.0.1:{front.port}/items/{n}", timeout=20)
            assert reply.status_code == 200
            ids.append(reply.headers["x-request-id"])
            # Already there when the response is: nothing is left for after the freeze.
            assert len(receiver.spans) == n + 1
    spans = receiver.spans
    assert [s.name for s in spans] == ["GET /items/{item_id}"] * 5
    assert [s.attributes["url.path"] for s in spans] == [f"/items/{n}" for n in range(5)]
    assert all(s.attributes["faas.trigger"] == "http" for s in spans)
    assert [s.attributes["faas.invocation_id"] for s in spans] == ids
    resource = spans[-1].resource
    assert resource["faas.name"] == "fn" and resource["cloud.provider"] == "aws"
    assert resource["service.name"] == "items"
    assert resource["faas.instance"] == resource["aws.log.stream.names"]


def test_event_invocations_get_a_consumer_span_with_their_error(
    receiver: Receiver, tmp_path: Path
) -> None:
    (tmp_path / "spanfn.py").write_text(textwrap.dedent(FUNCTION))
    sqs = {
        "Records": [
            {
                "eventSource": "aws:sqs",
                "messageId": f"m{n}",
                "body": body,
                "attributes": {},
                "messageAttributes": {},
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:orders",
            }
            for n, body in enumerate(["ok", "bad"])
        ]
    }
    with emulated(
        [*ALOFT_BOOTSTRAP, "spanfn.events"], cwd=tmp_path, env=_env(receiver), concurrency=1
    ) as (emulator, _, _lines):
        result = emulator.invoke(json.dumps(sqs).encode())
        assert result.ok, result.payload
        assert len(receiver.spans) == 1
    span = receiver.spans[0]
    assert span.kind == 5  # CONSUMER
    assert span.attributes["faas.trigger"] == "pubsub"
    assert span.attributes["faas.invocation_id"]
