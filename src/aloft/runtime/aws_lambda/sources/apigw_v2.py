"""API Gateway HTTP API (payload format 2.0): `rawPath`, `cookies`, comma-joined headers."""

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
    single_headers,
    split_path,
    text,
)
from aloft.runtime.exceptions import BadEvent

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from typing import Any

NAME = "apigw-v2"


def matches(event: dict[str, Any]) -> bool:
    context = event.get("requestContext")
    return event.get("version") == "2.0" and isinstance(context, dict) and "http" in context


def request(event: dict[str, Any]) -> HTTPRequest:
    """An HTTP API sends `rawPath` already %-decoded (`/files/a%2Fb` arrives as `/files/a/b`):
    it is the path, decoding it again would corrupt a literal `%`."""
    return from_event(event, decoded=True)


def from_event(event: dict[str, Any], decoded: bool) -> HTTPRequest:
    """The request of a payload 2.0 event; `decoded`: whether `rawPath` arrives %-decoded."""
    context = mapping(event.get("requestContext"), "requestContext")
    http = mapping(context.get("http"), "requestContext.http")
    method = text(http.get("method"), "requestContext.http.method").upper()
    raw_path = text(event.get("rawPath", http.get("path", "/")), "rawPath") or "/"
    headers = single_headers(event.get("headers"))
    cookies = event.get("cookies")
    if cookies:
        if not isinstance(cookies, list):
            raise BadEvent("cookies is not a list")
        headers = [h for h in headers if h[0] != b"cookie"]
        headers.append((b"cookie", b"; ".join(encode(c, "cookies") for c in cookies)))
    stage = context.get("stage")
    prefix = f"/{stage}" if isinstance(stage, str) and stage and stage != "$default" else ""
    received = encode(raw_path, "rawPath")
    root_path, path = split_path(raw_path if decoded else unquote(raw_path), prefix)
    return HTTPRequest(
        method,
        path,
        encode(event.get("rawQueryString") or "", "rawQueryString"),
        headers,
        body_of(event),
        root_path,
        client_of(http.get("sourceIp")),
        "https",
        host_of(headers, str(context.get("domainName") or "lambda")),
        received,
    )


def cookies_apart(headers: list[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Payload 2.0's header shape: one value a name (repeats joined by commas), and the
    Set-Cookie values apart, since joining them would corrupt them."""
    cookies: list[str] = []
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key == "set-cookie":
            cookies.append(value)
        elif key in joined:
            joined[key] = f"{joined[key]}, {value}"
        else:
            joined[key] = value
    return joined, cookies


def response(
    status: int, headers: list[tuple[str, str]], body: bytes, event: dict[str, Any]
) -> dict[str, Any]:
    joined, cookies = cookies_apart(headers)
    text_body, is_b64 = encode_body(body, headers)
    out: dict[str, Any] = {
        "statusCode": status,
        "headers": joined,
        "body": text_body,
        "isBase64Encoded": is_b64,
    }
    if cookies:
        out["cookies"] = cookies
    return out
