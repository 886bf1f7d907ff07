"""One WSGI request from a Lambda event (PEP 3333 environ in, status/headers/body out)."""

from __future__ import annotations

import io
import sys

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from aloft.runtime.aws_lambda.sources._http import HTTPRequest


def environ(request: HTTPRequest, event: Any, context: Any) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        # PEP 3333: the path is the UTF-8 bytes seen as latin-1 text.
        "SCRIPT_NAME": request.root_path.encode("utf-8", "surrogateescape").decode("latin-1"),
        "PATH_INFO": request.path.encode("utf-8", "surrogateescape").decode("latin-1"),
        "QUERY_STRING": request.query.decode("latin-1"),
        "SERVER_NAME": request.server[0],
        "SERVER_PORT": str(request.server[1]),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": request.client[0] if request.client else "",
        "CONTENT_LENGTH": str(len(request.body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": request.scheme,
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "aws.event": event,
        "aws.context": context,
    }
    for name, value in request.headers:
        key = name.decode("latin-1").upper().replace("-", "_")
        text = value.decode("latin-1")
        if key == "CONTENT_TYPE":
            env["CONTENT_TYPE"] = text
            continue
        if key == "CONTENT_LENGTH":
            continue  # the body we hold is the truth
        key = "HTTP_" + key
        if key in env:
            env[key] += ("; " if key == "HTTP_COOKIE" else ",") + text
        else:
            env[key] = text
    return env


def call(app: Any, env: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None and answer:
            raise exc_info[1].with_traceback(exc_info[2])
        answer["status"] = int(status.split(" ", 1)[0])
        answer["headers"] = list(headers)
        return chunks.append

    chunks: list[bytes] = []
    result = app(env, start_response)
    try:
        for chunk in result:
            if chunk:
                chunks.append(chunk)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if "status" not in answer:
        raise RuntimeError("the app returned without calling start_response")
    return answer["status"], answer["headers"], b"".join(chunks)


def stream(
    app: Any,
    env: dict[str, Any],
    out: Any,
    prelude: Callable[[int, list[tuple[str, str]]], bytes],
) -> None:
    """Run the app with each chunk of its body iterable written to `out` as it is produced."""
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None and out.started:
            raise exc_info[1].with_traceback(exc_info[2])
        answer["status"] = int(status.split(" ", 1)[0])
        answer["headers"] = list(headers)
        return write

    def write(chunk: bytes) -> None:
        if "status" not in answer:
            raise RuntimeError("the app wrote before calling start_response")
        if not out.started:
            out.write(prelude(answer["status"], answer["headers"]) + chunk)
        elif chunk:
            out.write(chunk)

    result = app(env, start_response)
    try:
        for chunk in result:
            if chunk:
                write(chunk)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if "status" not in answer:
        raise RuntimeError("the app returned without calling start_response")
    if not out.started:
        write(b"")
