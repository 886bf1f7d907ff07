"""What the HTTP sources share: the request they all produce and the body/header codecs."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import quote, unquote_plus, urlencode

from aloft.runtime.exceptions import BadEvent

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from typing import Any

    Headers = list[tuple[bytes, bytes]]

# Response content types sent as text; everything else (and any Content-Encoding) is base64.
_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml")
_TEXT_SUFFIXES = ("+json", "+xml")


class HTTPRequest:
    """One HTTP request, whichever service delivered it."""

    __slots__ = (
        "body",
        "client",
        "headers",
        "method",
        "path",
        "query",
        "raw_path",
        "root_path",
        "scheme",
        "server",
    )

    def __init__(
        self,
        method: str,
        path: str,
        query: bytes,
        headers: Headers,
        body: bytes,
        root_path: str = "",
        client: tuple[str, int] | None = None,
        scheme: str = "https",
        server: tuple[str, int] = ("lambda", 443),
        raw_path: bytes | None = None,
    ) -> None:
        self.method = method
        self.path = path  # without root_path, percent-decoded
        self.query = query
        self.headers = headers
        self.body = body
        self.root_path = root_path
        self.client = client
        self.scheme = scheme
        self.server = server
        # The path as the service passed it (root path included), for ASGI's `raw_path`;
        # None when the service sent only a decoded path.
        self.raw_path = raw_path


def text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise BadEvent(f"{field} is {type(value).__name__}, not a string")
    return value


def mapping(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadEvent(f"{field} is {type(value).__name__}, not an object")
    return value


def encode(value: Any, field: str) -> bytes:
    if not isinstance(value, str):
        raise BadEvent(f"{field} holds a {type(value).__name__}, not a string")
    try:
        return value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise BadEvent(f"{field} holds a lone surrogate, not UTF-8 text") from None


def single_headers(raw: Any, field: str = "headers") -> Headers:
    try:  # on every request: one pass, the type check left to str's own methods
        return [
            (
                name.lower().encode("utf-8", "surrogateescape"),
                value.encode("utf-8", "surrogateescape"),
            )
            for name, value in mapping(raw, field).items()
            if value is not None
        ]
    except AttributeError:
        raise BadEvent(f"{field} holds a value that is not a string") from None


def multi_headers(raw: Any, field: str = "multiValueHeaders") -> Headers:
    out: Headers = []
    for name, values in mapping(raw, field).items():
        if values is None:
            continue
        if not isinstance(values, list):
            raise BadEvent(f"{field}[{name!r}] is not a list")
        key = encode(name, field).lower()
        out.extend((key, encode(v, field)) for v in values)
    return out


def body_of(event: dict[str, Any]) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise BadEvent(f"body is {type(body).__name__}, not a string")
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadEvent("body is marked isBase64Encoded but is not base64") from None
    return body.encode("utf-8", "surrogateescape")


def query_single(raw: Any) -> bytes:
    params = mapping(raw, "queryStringParameters")
    for key, value in params.items():
        text(value, f"queryStringParameters[{key!r}]")
    return urlencode(params).encode()


def query_multi(raw: Any) -> bytes:
    pairs: list[tuple[str, str]] = []
    for key, values in mapping(raw, "multiValueQueryStringParameters").items():
        if not isinstance(values, list):
            raise BadEvent(f"multiValueQueryStringParameters[{key!r}] is not a list")
        pairs.extend((key, text(v, "multiValueQueryStringParameters")) for v in values)
    return urlencode(pairs).encode()


def query_encoded(raw: Any) -> bytes:
    """ALB passes the query as the client sent it, still form-encoded (`+` is a space there):
    decode it as a browser's form would be, then re-encode it uniformly."""
    pairs: list[tuple[str, str]] = []
    for key, values in mapping(raw, "queryStringParameters").items():
        for value in values if isinstance(values, list) else [values]:
            pairs.append((unquote_plus(key), unquote_plus(text(value, "queryStringParameters"))))
    return urlencode(pairs).encode()


def client_of(ip: Any) -> tuple[str, int] | None:
    return (ip, 0) if isinstance(ip, str) and ip else None


def host_of(headers: Headers, default: str, port: int = 443) -> tuple[str, int]:
    """(host, port) from the Host header; `port` where it names none (the listener's)."""
    for name, value in headers:
        if name == b"host":
            host = value.decode("latin-1")
            name_part, _, given = host.rpartition(":")
            if name_part and given.isdigit():
                return name_part, int(given)
            return host, port
    return default, port


def split_path(path: str, prefix: str) -> tuple[str, str]:
    """(root_path, path) with `prefix` (a stage or base path) split off when present."""
    if prefix and prefix != "/" and (path == prefix or path.startswith(prefix + "/")):
        return prefix, path[len(prefix) :] or "/"
    return "", path


def is_binary(headers: list[tuple[str, str]]) -> bool:
    for name, value in headers:
        lower = name.lower()
        if lower == "content-encoding" and value.strip().lower() not in ("", "identity"):
            return True
        if lower == "content-type":
            ctype = value.split(";", 1)[0].strip().lower()
            return not (ctype.startswith(_TEXT_TYPES) or ctype.endswith(_TEXT_SUFFIXES))
    return False


def encode_body(body: bytes, headers: list[tuple[str, str]]) -> tuple[str, bool]:
    """The response body as Lambda's JSON carries it: text, or base64 for binary content."""
    if not body:
        return "", False
    if not is_binary(headers):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def quote_path(path: str) -> str:
    return quote(path, safe="/%:@!$&'()*+,;=-._~")
