"""Lambda Function URLs: the HTTP API 2.0 payload, told apart by their `lambda-url` domain."""

from __future__ import annotations

from aloft.runtime.aws_lambda.sources.apigw_v2 import cookies_apart, from_event, response

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from typing import Any

    from aloft.runtime.aws_lambda.sources._http import HTTPRequest

NAME = "function-url"
__all__ = ["NAME", "matches", "prelude", "request", "response"]


def matches(event: dict[str, Any]) -> bool:
    context = event.get("requestContext")
    if event.get("version") != "2.0" or not isinstance(context, dict) or "http" not in context:
        return False
    domain = context.get("domainName")
    return isinstance(domain, str) and ".lambda-url." in domain


def request(event: dict[str, Any]) -> HTTPRequest:
    """Unlike an HTTP API, a Function URL passes `rawPath` as the client sent it, %-encoded."""
    return from_event(event, decoded=False)


def prelude(status: int, headers: list[tuple[str, str]]) -> bytes:
    """The head of a streamed response (content type application/vnd.awslambda.http-integration-
    response): status, headers and cookies as JSON, then eight NUL bytes, then the body."""
    import json

    joined, cookies = cookies_apart(headers)
    head: dict[str, Any] = {"statusCode": status, "headers": joined}
    if cookies:
        head["cookies"] = cookies
    return json.dumps(head).encode() + b"\0" * 8
