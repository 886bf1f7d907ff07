"""Real HTTP requests as the events API Gateway (v1, v2), ALB and Function URLs deliver.

The inverse too: a handler's response payload back into an HTTP status, headers and body.
Used by the emulator's HTTP front, and by tests and benchmarks that need realistic events.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any, Literal
from urllib.parse import parse_qsl

EventFormat = Literal["v2", "v1", "alb", "url"]
FORMATS: tuple[EventFormat, ...] = ("v2", "v1", "alb", "url")
_TEXT = ("text/", "application/json", "application/x-www-form-urlencoded", "application/xml")


def _body(body: bytes, headers: list[tuple[str, str]]) -> tuple[str | None, bool]:
    if not body:
        return None, False
    ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
    if ctype.startswith(_TEXT):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode(), True


def http_event(
    fmt: EventFormat,
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes = b"",
    source_ip: str = "127.0.0.1",
    stage: str = "$default",
) -> dict[str, Any]:
    body_text, is_b64 = _body(body, headers)
    now = time.time()
    request_id = str(uuid.uuid4())
    lowered = [(k.lower(), v) for k, v in headers]
    if fmt in ("v2", "url"):
        joined: dict[str, str] = {}
        cookies: list[str] = []
        for k, v in lowered:
            if k == "cookie":
                cookies.extend(c.strip() for c in v.split(";") if c.strip())
            else:
                joined[k] = f"{joined[k]},{v}" if k in joined else v
        params: dict[str, str] = {}
        for k, v in parse_qsl(query, keep_blank_values=True):
            params[k] = f"{params[k]},{v}" if k in params else v
        domain = "abcdefgh.lambda-url.us-east-1.on.aws" if fmt == "url" else "api.localhost"
        raw_path = path if stage == "$default" else f"/{stage}{path}"
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": raw_path,
            "rawQueryString": query,
            "headers": joined,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "local",
                "domainName": joined.get("host", domain) if fmt == "v2" else domain,
                "http": {
                    "method": method,
                    "path": raw_path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": source_ip,
                    "userAgent": joined.get("user-agent", ""),
                },
                "requestId": request_id,
                "routeKey": "$default",
                "stage": stage,
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "timeEpoch": int(now * 1000),
            },
            "isBase64Encoded": is_b64,
        }
        if cookies:
            event["cookies"] = cookies
        if params:
            event["queryStringParameters"] = params
        if body_text is not None:
            event["body"] = body_text
        return event
    multi_headers: dict[str, list[str]] = {}
    for k, v in lowered:
        multi_headers.setdefault(k, []).append(v)
    pairs = parse_qsl(query, keep_blank_values=True)
    multi_query: dict[str, list[str]] = {}
    for k, v in pairs:
        multi_query.setdefault(k, []).append(v)
    if fmt == "alb":
        from urllib.parse import quote

        return {
            "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:local"}},
            "httpMethod": method,
            "path": path,
            "multiValueQueryStringParameters": {
                quote(k): [quote(v) for v in vs] for k, vs in multi_query.items()
            },
            "multiValueHeaders": multi_headers,
            "body": body_text or "",
            "isBase64Encoded": is_b64,
        }
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {k: vs[-1] for k, vs in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: vs[-1] for k, vs in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "httpMethod": method,
            "path": f"/{stage}{path}" if stage != "$default" else path,
            "stage": stage,
            "requestId": request_id,
            "identity": {"sourceIp": source_ip},
            "requestTimeEpoch": int(now * 1000),
        },
        "body": body_text,
        "isBase64Encoded": is_b64,
    }


def http_response(fmt: EventFormat, payload: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """What API Gateway/ALB make of a handler's result: status, headers, body."""
    if not isinstance(payload, dict) or "statusCode" not in payload:
        if fmt in ("v2", "url"):
            # HTTP APIs treat any other result as a JSON body with status 200.
            return 200, [("content-type", "application/json")], json.dumps(payload).encode()
        return 502, [("content-type", "application/json")], b'{"message":"Internal server error"}'
    try:
        status = int(payload["statusCode"])
        headers: list[tuple[str, str]] = [
            (str(k), str(v)) for k, v in (payload.get("headers") or {}).items()
        ]
        for k, values in (payload.get("multiValueHeaders") or {}).items():
            headers = [h for h in headers if h[0].lower() != str(k).lower()]
            headers.extend((str(k), str(v)) for v in values)
        headers.extend(("set-cookie", str(c)) for c in payload.get("cookies") or [])
        body = payload.get("body") or ""
        data = base64.b64decode(body) if payload.get("isBase64Encoded") else str(body).encode()
    except (TypeError, ValueError, AttributeError):
        return 502, [("content-type", "application/json")], b'{"message":"Internal server error"}'
    return status, headers, data
