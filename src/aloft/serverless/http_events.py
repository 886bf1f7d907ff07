"""Real HTTP requests as the events API Gateway (v1, v2), ALB and Function URLs deliver.

The inverse too: a handler's response payload back into an HTTP status, headers and body, read
the way each service reads it (ALB takes only the header form its target group is set to, an
HTTP API ignores `multiValueHeaders`, ...), so a handler that answers in the wrong form fails
here as it would on AWS. Used by the emulator's HTTP front, and by tests and benchmarks that
need realistic events.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote

# alb: a target group as AWS creates it (multi_value_headers disabled); alb-multi: enabled.
EventFormat = Literal["v2", "v1", "alb", "alb-multi", "url"]
FORMATS: tuple[EventFormat, ...] = ("v2", "v1", "alb", "alb-multi", "url")
# Formats whose URLs can carry a stage (API Gateway); ALB and Function URLs pass the path as is.
STAGED: tuple[EventFormat, ...] = ("v2", "v1")
_TEXT = ("text/", "application/json", "application/x-www-form-urlencoded", "application/xml")
ACCOUNT = "123456789012"
URL_ID = "aloftlocalfunctionurl0000000000"  # the <url-id> of a Function URL: 32 characters


class GatewayError(Exception):
    """A response the service itself would refuse: it answers the client with its own error."""


def _body(body: bytes, headers: list[tuple[str, str]]) -> tuple[str | None, bool]:
    if not body:
        return None, False
    ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
    if ctype.lower().startswith(_TEXT):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode(), True


def _raw_pairs(query: str) -> list[tuple[str, str]]:
    """Query pairs exactly as sent, still percent-encoded: what ALB passes on."""
    pairs = []
    for part in query.split("&"):
        if part:
            key, _, value = part.partition("=")
            pairs.append((key, value))
    return pairs


def _forwarded(headers: list[tuple[str, str]], source_ip: str) -> list[tuple[str, str]]:
    """Lower-cased headers with the client's address appended to X-Forwarded-For, as proxies do."""
    lowered = [(k.lower(), v) for k, v in headers]
    chain = [v for k, v in lowered if k == "x-forwarded-for"]
    lowered = [(k, v) for k, v in lowered if k != "x-forwarded-for"]
    lowered.append(("x-forwarded-for", ", ".join([*chain, source_ip])))
    return lowered


def _trace_header() -> str:
    return f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()}"


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
    """The event for one request; `path` is the resource path, without `stage`."""
    if fmt in ("v2", "url"):
        return _v2_event(fmt, method, path, query, headers, body, source_ip, stage)
    if fmt in ("alb", "alb-multi"):
        return _alb_event(fmt == "alb-multi", method, path, query, headers, body, source_ip)
    return _v1_event(method, path, query, headers, body, source_ip, stage)


def _v2_event(
    fmt: EventFormat,
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    stage: str,
) -> dict[str, Any]:
    body_text, is_b64 = _body(body, headers)
    now = time.time()
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for key, value in _forwarded(headers, source_ip):
        if key == "cookie":
            # Payload 2.0 moves cookies out of the headers into their own array.
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
        else:
            joined[key] = f"{joined[key]},{value}" if key in joined else value
    joined.setdefault("x-amzn-trace-id", _trace_header())
    params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        params[key] = f"{params[key]},{value}" if key in params else value
    if fmt == "url":
        stage = "$default"  # Function URLs have no stages
        domain = f"{URL_ID}.lambda-url.us-east-1.on.aws"
    else:
        domain = joined.get("host", "api.localhost")
    if fmt == "v2":
        # An HTTP API passes the path %-decoded (`/a%2Fb` arrives as `/a/b`); a Function URL
        # passes it as sent.
        path = unquote(path)
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": query,
        "headers": joined,
        "requestContext": {
            "accountId": "anonymous" if fmt == "url" else ACCOUNT,
            "apiId": URL_ID if fmt == "url" else "local",
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": joined.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
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


def _alb_event(
    multi: bool,
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
) -> dict[str, Any]:
    body_text, is_b64 = _body(body, headers)
    lowered = _forwarded(headers, source_ip)
    host = next((v for k, v in lowered if k == "host"), "")
    port = host.rpartition(":")[2] if ":" in host else "80"
    # The listener the client reached: plain HTTP here, on the port it connected to.
    lowered += [
        ("x-forwarded-proto", "http"),
        ("x-forwarded-port", port if port.isdigit() else "80"),
        ("x-amzn-trace-id", _trace_header()),
    ]
    event: dict[str, Any] = {
        "requestContext": {
            "elb": {
                "targetGroupArn": (
                    f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:targetgroup/local/0"
                )
            }
        },
        "httpMethod": method,
        "path": path,
    }
    # ALB does not decode the query; with multi-value headers off, the last value of a repeated
    # header or query key is the one passed on.
    pairs = _raw_pairs(query)
    if multi:
        multi_query: dict[str, list[str]] = {}
        for key, value in pairs:
            multi_query.setdefault(key, []).append(value)
        multi_headers: dict[str, list[str]] = {}
        for key, value in lowered:
            multi_headers.setdefault(key, []).append(value)
        event["multiValueQueryStringParameters"] = multi_query
        event["multiValueHeaders"] = multi_headers
    else:
        event["queryStringParameters"] = dict(pairs)
        event["headers"] = dict(lowered)
    event["body"] = body_text or ""
    event["isBase64Encoded"] = is_b64
    return event


def _v1_event(
    method: str,
    path: str,
    query: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    stage: str,
) -> dict[str, Any]:
    body_text, is_b64 = _body(body, headers)
    now = time.time()
    multi_headers: dict[str, list[str]] = {}
    for name, value in _forwarded(headers, source_ip):
        multi_headers.setdefault(name, []).append(value)
    multi_headers.setdefault("x-amzn-trace-id", [_trace_header()])
    multi_query: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        multi_query.setdefault(key, []).append(value)
    domain = multi_headers.get("host", ["api.localhost"])[-1]
    proxy = path.lstrip("/")
    # With a stage the client asked for /{stage}{path}; without one, through a custom domain
    # mapped at its root, it asked for {path} itself.
    full = f"/{stage}{path}" if stage != "$default" else path
    return {
        "resource": "/{proxy+}" if proxy else "/",
        "path": path,
        "httpMethod": method,
        "headers": {k: vs[-1] for k, vs in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: vs[-1] for k, vs in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"proxy": proxy} if proxy else None,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "local",
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "extendedRequestId": uuid.uuid4().hex[:16],
            "httpMethod": method,
            "identity": {
                "sourceIp": source_ip,
                "userAgent": multi_headers.get("user-agent", [""])[-1],
            },
            "path": full,
            "protocol": "HTTP/1.1",
            "requestId": str(uuid.uuid4()),
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "resourceId": "local",
            "resourcePath": "/{proxy+}" if proxy else "/",
            "stage": stage,
        },
        "body": body_text,
        "isBase64Encoded": is_b64,
    }


def http_response(fmt: EventFormat, payload: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """What API Gateway/ALB/Function URLs make of a handler's result: status, headers, body."""
    status, _, headers, body = read_response(fmt, payload)
    return status, headers, body


def read_response(fmt: EventFormat, payload: Any) -> tuple[int, str, list[tuple[str, str]], bytes]:
    """Status, reason phrase, headers and body; the service's own error when it would refuse."""
    try:
        return _read(fmt, payload)
    except GatewayError:
        return error_response(fmt, 502)
    except (TypeError, ValueError, AttributeError, KeyError):
        return error_response(fmt, 502)


def error_response(fmt: EventFormat, status: int) -> tuple[int, str, list[tuple[str, str]], bytes]:
    """The answer each service gives itself when the function fails (502) or times out (504)."""
    phrase = HTTPStatus(status).phrase
    if fmt in ("alb", "alb-multi"):
        html = f"<html><body><center><h1>{status} {phrase}</h1></center></body></html>\n"
        return status, phrase, [("content-type", "text/html")], html.encode()
    if status == 504:
        message = "Endpoint request timed out"
    elif fmt == "v1":
        message = "Internal server error"
    else:
        # HTTP APIs and Function URLs answer an invalid response or a failed function with 500.
        status, phrase, message = 500, "Internal Server Error", "Internal Server Error"
    return (
        status,
        phrase,
        [("content-type", "application/json")],
        json.dumps({"message": message}).encode(),
    )


def _read(fmt: EventFormat, payload: Any) -> tuple[int, str, list[tuple[str, str]], bytes]:
    if fmt in ("v2", "url") and not (isinstance(payload, dict) and "statusCode" in payload):
        # Payload 2.0: any other valid JSON is a 200 with that JSON as the body.
        body = payload if isinstance(payload, str) else json.dumps(payload)
        return 200, "OK", [("content-type", "application/json")], body.encode()
    if not isinstance(payload, dict) or "statusCode" not in payload:
        raise GatewayError("no statusCode")
    status = payload["statusCode"]
    if isinstance(status, bool) or not isinstance(status, (int, str)):
        raise GatewayError("statusCode is not a number")
    status = int(status)
    if not 100 <= status <= 599:
        raise GatewayError("statusCode out of range")
    phrase = _phrase(status)
    headers: list[tuple[str, str]] = []
    single = payload.get("headers") or {}
    multi = payload.get("multiValueHeaders") or {}
    if fmt in ("v2", "url"):
        headers = [(str(k), str(v)) for k, v in single.items()]
        headers.extend(("set-cookie", str(c)) for c in payload.get("cookies") or [])
    elif fmt == "v1":
        # REST APIs merge both forms; a name in multiValueHeaders takes only those values.
        taken = {str(k).lower() for k in multi}
        headers = [(str(k), str(v)) for k, v in single.items() if str(k).lower() not in taken]
        for k, values in multi.items():
            headers.extend((str(k), str(v)) for v in values)
    else:
        described = payload.get("statusDescription")
        if isinstance(described, str) and described.strip():
            phrase = described.split(" ", 1)[-1] if described[:3].isdigit() else described
        if fmt == "alb-multi":
            # With multi-value headers on, ALB reads only multiValueHeaders.
            for k, values in multi.items():
                headers.extend((str(k), str(v)) for v in values)
        else:
            headers = [(str(k), str(v)) for k, v in single.items()]
    body = payload.get("body") or ""
    if not isinstance(body, str):
        raise GatewayError("body is not a string")
    data = (
        base64.b64decode(body, validate=True) if payload.get("isBase64Encoded") else body.encode()
    )
    return status, phrase, headers, data


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
