"""Functions the emulator tests run in real worker processes."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from aloft.runtime.aws_lambda import lambda_handler

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from lambdakit import echo_asgi

http = lambda_handler(echo_asgi)
events_only = lambda_handler()


@events_only.on_sqs
def record(message: Any) -> None:
    if message.json().get("fail"):
        raise ValueError(f"bad record {message.message_id}")


def info(event: Any, context: Any) -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "event": event,
        "request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "env": {
            k: v for k, v in os.environ.items() if k.startswith(("AWS_", "LAMBDA_", "_X_AMZN"))
        },
    }


def slow(event: Any, context: Any) -> dict[str, Any]:
    time.sleep(float(event.get("seconds", 0)))
    return {"pid": os.getpid(), "slept": event.get("seconds", 0)}


def fail(event: Any, context: Any) -> None:
    raise KeyError("missing thing")


def crash(event: Any, context: Any) -> None:
    os._exit(3)


def dumps(event: Any, context: Any) -> str:
    return json.dumps(event)


def show_secret(event: Any, context: Any) -> dict[str, Any]:
    import logging

    from aloft.runtime.aws_lambda import secret

    value = secret("DB_PASSWORD")
    logging.getLogger("testfn").warning("connecting with %s", value)
    return {
        "length": len(value),
        "env_matches": os.environ["DB_PASSWORD"] == value,
        "api_key": len(os.environ["API_KEY"]),
    }


def _fields(value: Any) -> Any:
    """An object's public attributes, recursively, as plain JSON (for comparing contexts)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {str(k): _fields(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fields(v) for v in value]
    names = getattr(type(value), "__slots__", None) or [
        n for n in vars(value) if not n.startswith("_")
    ]
    return {"class": type(value).__name__, **{n: _fields(getattr(value, n, None)) for n in names}}


def context_info(event: Any, context: Any) -> dict[str, Any]:
    info = _fields(context)
    info.pop("trace_id", None)  # aloft's own extra; awslambdaric's context has none
    info["w3c"] = context.w3c()
    info["remaining_positive"] = context.get_remaining_time_in_millis() > 0
    info["aws_request_id"] = bool(info["aws_request_id"])
    info["log_stream_name"] = bool(info["log_stream_name"])  # one per environment
    return {"event": event, "context": info}


def sized(event: Any, context: Any) -> str:
    """A response of `size` bytes once JSON-encoded (a string of 'A's in quotes)."""
    return "A" * (int(event["size"]) - 2)


def event_type(event: Any, context: Any) -> str:
    return type(event).__name__


async def sized_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An HTTP response of `?size=` bytes of text."""
    if scope["type"] != "http":
        return  # no lifespan
    size = int(scope["query_string"].decode().partition("=")[2] or 0)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": b"z" * size})


sized_http = lambda_handler(sized_app)
