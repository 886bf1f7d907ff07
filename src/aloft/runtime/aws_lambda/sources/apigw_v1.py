"""API Gateway REST API (payload format 1.0): multi-value headers and query, stage in the path."""

from __future__ import annotations

from urllib.parse import unquote

from aloft.runtime.aws_lambda.sources._http import (
    HTTPRequest,
    body_of,
    client_of,
    encode,
    encode_body,
    host_of,
    mapping,
    multi_headers,
    query_multi,
    query_single,
    single_headers,
    text,
)

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from typing import Any

NAME = "apigw-v1"


def matches(event: dict[str, Any]) -> bool:
    context = event.get("requestContext")
    return "httpMethod" in event and isinstance(context, dict) and "elb" not in context


def request(event: dict[str, Any]) -> HTTPRequest:
    context = mapping(event.get("requestContext"), "requestContext")
    method = text(event.get("httpMethod"), "httpMethod").upper()
    # REST APIs pass `path` and `requestContext.path` as the client sent them, %-encoded.
    path = unquote(text(event.get("path") or "/", "path"))
    encode(path, "path")  # a lone surrogate is the event's fault (400), not the app's (500)
    if event.get("multiValueHeaders"):
        headers = multi_headers(event["multiValueHeaders"])
    else:
        headers = single_headers(event.get("headers"))
    if event.get("multiValueQueryStringParameters"):
        query = query_multi(event["multiValueQueryStringParameters"])
    else:
        query = query_single(event.get("queryStringParameters"))
    # requestContext.path is what the client asked for: the stage or the custom domain's base
    # path, then the resource path. What precedes `path` in it is the app's root path.
    root_path = ""
    sent = context.get("path")
    raw_path = encode(sent, "requestContext.path") if isinstance(sent, str) else None
    full = unquote(sent) if isinstance(sent, str) else None  # compared decoded with `path`
    if full is not None and len(full) > len(path):
        if full.endswith(path):  # "/prod/notes/7/" for "/notes/7/": a trailing slash is kept
            root_path = full[: len(full) - len(path)]
        elif path == "/":  # the stage's root, "/prod" (no trailing slash) for "/"
            root_path = full.rstrip("/")
    identity = context.get("identity")
    ip = identity.get("sourceIp") if isinstance(identity, dict) else None
    return HTTPRequest(
        method,
        path,
        query,
        headers,
        body_of(event),
        root_path,
        client_of(ip),
        "https",
        host_of(headers, str(context.get("domainName") or "lambda")),
        raw_path,
    )


def response(
    status: int, headers: list[tuple[str, str]], body: bytes, event: dict[str, Any]
) -> dict[str, Any]:
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        multi.setdefault(name.lower(), []).append(value)
    text_body, is_b64 = encode_body(body, headers)
    return {
        "statusCode": status,
        "multiValueHeaders": multi,
        "body": text_body,
        "isBase64Encoded": is_b64,
    }
