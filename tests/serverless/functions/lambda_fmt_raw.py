"""A plain handler that answers with the event it got (in every format's response shape)
or fails on /boom."""

from __future__ import annotations

import json
from typing import Any


def event_echo(event: Any, context: Any) -> dict[str, Any]:
    if (event.get("rawPath") or event.get("path") or "").endswith("/boom"):
        raise RuntimeError("boom")
    return {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {"content-type": ["application/json"]},
        "body": json.dumps(event),
        "isBase64Encoded": False,
    }
