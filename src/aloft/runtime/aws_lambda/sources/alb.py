"""Application Load Balancer targets: percent-encoded query, single- or multi-value headers.

ALB answers in the same header form the target group sends (multi-value when that is enabled).
"""

from __future__ import annotations

from aloft.runtime.aws_lambda.sources._http import (
    HTTPRequest,
    body_of,
    encode,
    encode_body,
    host_of,
    multi_headers,
    query_encoded,
    single_headers,
    text,
)

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from typing import Any

NAME = "alb"


def matches(event: dict[str, Any]) -> bool:
    context = event.get("requestContext")
    return isinstance(context, dict) and "elb" in context


def request(event: dict[str, Any]) -> HTTPRequest:
    from urllib.parse import unquote

    method = text(event.get("httpMethod"), "httpMethod").upper()
    sent = text(event.get("path") or "/", "path")  # as the client sent it, still %-encoded
    raw_path = encode(sent, "path")
    path = unquote(sent)
    if "multiValueHeaders" in event:
        headers = multi_headers(event["multiValueHeaders"])
        query = query_encoded(event.get("multiValueQueryStringParameters"))
    else:
        headers = single_headers(event.get("headers"))
        query = query_encoded(event.get("queryStringParameters"))
    client = None
    # The listener's protocol and port: an HTTP:80 listener must not make the app build
    # https:// URLs. ALB sets both headers on every request it forwards.
    scheme, port = "https", 0
    for name, value in headers:
        if name == b"x-forwarded-for":
            client = (value.decode("latin-1").split(",", 1)[0].strip(), 0)
        elif name == b"x-forwarded-proto":
            proto = value.decode("latin-1").strip().lower()
            if proto in ("http", "https"):
                scheme = proto
        elif name == b"x-forwarded-port":
            given = value.decode("latin-1").strip()
            if given.isdigit() and 0 < int(given) < 65536:
                port = int(given)
    server = host_of(headers, "alb", port or (80 if scheme == "http" else 443))
    return HTTPRequest(
        method, path, query, headers, body_of(event), "", client, scheme, server, raw_path
    )


def response(
    status: int, headers: list[tuple[str, str]], body: bytes, event: dict[str, Any]
) -> dict[str, Any]:
    from http import HTTPStatus

    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    text_body, is_b64 = encode_body(body, headers)
    out: dict[str, Any] = {
        "statusCode": status,
        "statusDescription": f"{status} {phrase}",
        "body": text_body,
        "isBase64Encoded": is_b64,
    }
    if "multiValueHeaders" in event:
        multi: dict[str, list[str]] = {}
        for name, value in headers:
            multi.setdefault(name.lower(), []).append(value)
        out["multiValueHeaders"] = multi
    else:
        out["headers"] = _single(headers)
    return out


def _single(headers: list[tuple[str, str]]) -> dict[str, str]:
    """One value per name: repeated headers joined, except Set-Cookie, which cannot be joined.

    Each cookie gets the name in a different letter case (ALB passes them all on; clients read
    header names case-insensitively), the way Mangum does it too.
    """
    single: dict[str, str] = {}
    cookies = 0
    for name, value in headers:
        key = name.lower()
        if key == "set-cookie":
            single[_case(key, cookies)] = value
            cookies += 1
        elif key in single:
            single[key] = f"{single[key]}, {value}"
        else:
            single[key] = value
    return single


def _case(name: str, index: int) -> str:
    letters = list(name)
    positions = [i for i, c in enumerate(letters) if c.isalpha()]
    for bit, position in enumerate(positions):
        if index >> bit & 1:
            letters[position] = letters[position].upper()
    return "".join(letters)
