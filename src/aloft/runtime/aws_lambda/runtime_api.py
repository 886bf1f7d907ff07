"""A pure-Python Lambda Runtime API client and the bootstrap loop around a handler.

The loop: GET /runtime/invocation/next (blocks until an event), call the handler, POST the result
to /response or the error to /error; a handler that fails to load is reported to /init/error.
An error in one invocation never ends the loop; only losing the Runtime API does.
"""

from __future__ import annotations

import json
import os
import sys

from aloft.runtime.aws_lambda.context import LambdaContext

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

API = "/2018-06-01/runtime"


class RuntimeAPIError(Exception):
    """The Runtime API answered unexpectedly or went away: the environment is done."""


class RuntimeClient:
    """HTTP/1.1 over one kept-alive socket, by hand: `http.client` costs ~20 ms of every cold
    start to import, and the Runtime API needs three requests and plain responses."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.host, self.port = host or address, int(port) if port.isdigit() else 80
        self._sock: Any = None
        self._reader: Any = None

    def close(self) -> None:
        if self._sock is not None:
            self._reader.close()
            self._sock.close()
            self._sock = self._reader = None

    def _request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n"
        if body is not None or method != "GET":
            head += f"Content-Length: {len(body or b'')}\r\n"
        data = (head + "\r\n").encode("latin-1") + (body or b"")
        for attempt in (1, 2):
            try:
                if self._sock is None:
                    import socket

                    # /next blocks until there is work: no timeout on the socket.
                    self._sock = socket.create_connection((self.host, self.port))
                    self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self._reader = self._sock.makefile("rb")
                self._sock.sendall(data)
                return self._response()
            except (OSError, ValueError) as exc:
                self.close()
                if attempt == 2:
                    raise RuntimeAPIError(f"{method} {path}: {exc}") from exc
        raise AssertionError("unreachable")

    def _response(self) -> tuple[int, dict[str, str], bytes]:
        reader = self._reader
        status_line = reader.readline(65537)
        if not status_line:
            raise ConnectionResetError("the Runtime API closed the connection")
        parts = status_line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            raise ValueError(f"not an HTTP response: {status_line[:80]!r}")
        headers: dict[str, str] = {}
        while True:
            line = reader.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = headers.get("content-length")
        if length is not None:
            body = reader.read(int(length))
            if len(body) != int(length):
                raise ConnectionResetError("the Runtime API closed the connection mid-body")
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._chunked()
        else:  # delimited by the end of the connection
            body = reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return int(parts[1]), headers, body

    def _chunked(self) -> bytes:
        reader = self._reader
        chunks: list[bytes] = []
        while True:
            size = int(reader.readline(65537).split(b";", 1)[0].strip() or b"x", 16)
            if size == 0:
                while reader.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(reader.read(size))
            reader.readline(65537)  # the CRLF after each chunk

    def next(self) -> tuple[bytes, LambdaContext]:
        status, headers, body = self._request("GET", f"{API}/invocation/next")
        if status != 200:
            raise RuntimeAPIError(f"/invocation/next answered {status}")
        context = LambdaContext(
            aws_request_id=headers.get("lambda-runtime-aws-request-id", ""),
            deadline_ms=int(headers.get("lambda-runtime-deadline-ms") or 0),
            invoked_function_arn=headers.get("lambda-runtime-invoked-function-arn", ""),
            trace_id=headers.get("lambda-runtime-trace-id", ""),
            client_context=_json_header(headers.get("lambda-runtime-client-context")),
            identity=_json_header(headers.get("lambda-runtime-cognito-identity")),
            tenant_id=headers.get("lambda-runtime-aws-tenant-id"),
        )
        return body, context

    def respond(self, request_id: str, payload: bytes) -> None:
        status, _, body = self._request(
            "POST",
            f"{API}/invocation/{request_id}/response",
            payload,
            {"Content-Type": "application/json"},
        )
        if status != 202:
            # 413: the response is too large; Lambda records it, the loop goes on.
            sys.stderr.write(
                f"aloft: /response for {request_id} answered {status}: {body[:200]!r}\n"
            )

    def error(self, request_id: str, error: dict[str, Any]) -> None:
        self._post_error(f"{API}/invocation/{request_id}/error", error)

    def init_error(self, error: dict[str, Any]) -> None:
        self._post_error(f"{API}/init/error", error)

    def _post_error(self, path: str, error: dict[str, Any]) -> None:
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Function-Error-Type": str(error.get("errorType", "Error")),
        }
        self._request("POST", path, json.dumps(error).encode(), headers)


def _json_header(value: str | None) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def error_payload(exc: BaseException) -> dict[str, Any]:
    import traceback

    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def load_handler(spec: str) -> Callable[..., Any]:
    """`module.function` (Lambda's form) or `module:attribute` (aloft's)."""
    import importlib

    if ":" in spec:
        module_name, _, attr = spec.partition(":")
    else:
        module_name, _, attr = spec.rpartition(".")
    if not module_name or not attr:
        raise ValueError(f"handler {spec!r}: use 'module.function', e.g. 'app.handler'")
    value: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        value = getattr(value, part)
    if not callable(value):
        raise TypeError(f"handler {spec!r} is a {type(value).__name__}, not a function")
    return value  # type: ignore[no-any-return]


def run(handler_spec: str, address: str, max_invocations: int = 0) -> int:
    """Serve invocations until the Runtime API goes away; returns the process exit code."""
    client = RuntimeClient(address)
    root = os.environ.get("LAMBDA_TASK_ROOT")
    if root and root not in sys.path:
        sys.path.insert(0, root)
    try:
        handler = load_handler(handler_spec)
    except Exception as exc:
        sys.stderr.write(
            f"aloft: cannot load handler {handler_spec!r}: {type(exc).__name__}: {exc}\n"
        )
        import contextlib

        with contextlib.suppress(RuntimeAPIError):  # a Runtime API already gone cannot be told
            client.init_error(error_payload(exc))
        return 1
    install_sigterm()
    served = 0
    while True:
        try:
            body, context = client.next()
        except RuntimeAPIError:
            return 0
        if context.trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = context.trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        try:
            event = json.loads(body) if body else None
            result = handler(event, context)
            payload = json.dumps(result).encode()
        except Exception as exc:
            try:
                client.error(context.aws_request_id, error_payload(exc))
            except RuntimeAPIError:
                return 0
        else:
            try:
                client.respond(context.aws_request_id, payload)
            except RuntimeAPIError:
                return 0
        served += 1
        if max_invocations and served >= max_invocations:
            return 0


def install_sigterm() -> None:
    """Run the app's shutdown hooks when Lambda stops the environment (SIGTERM)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def stop(signum: int, frame: Any) -> None:
        from aloft.runtime.aws_lambda.handler import shutdown_all

        shutdown_all()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
