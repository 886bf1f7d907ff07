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
from aloft.runtime.exceptions import RuntimeAPIError, RuntimeFault

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

API = "/2018-06-01/runtime"
_THIS = "aws_lambda/runtime_api.py"


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

    def send_raw(self, data: bytes) -> None:
        """Bytes of a request being streamed, on the kept-alive connection (no retry: part of
        the request may already be out)."""
        if self._sock is None:
            import socket

            self._sock = socket.create_connection((self.host, self.port))
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._reader = self._sock.makefile("rb")
        try:
            self._sock.sendall(data)
        except OSError as exc:
            self.close()
            raise RuntimeAPIError(f"streaming a response: {exc}") from exc

    def read_response(self) -> tuple[int, dict[str, str], bytes]:
        try:
            return self._response()
        except (OSError, ValueError) as exc:
            self.close()
            raise RuntimeAPIError(f"streaming a response: {exc}") from exc

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


class ResponseStream:
    """One invocation's response, streamed to the Runtime API as it is written.

    Lambda's streaming mode: a chunked POST to /response with
    `Lambda-Runtime-Function-Response-Mode: streaming`; an error after the first byte goes in
    the trailers `Lambda-Runtime-Function-Error-Type` and `-Body` (the error, JSON in base64).
    Nothing is sent before the first write, so an invocation that never writes can still be
    answered or failed the usual way.
    """

    def __init__(self, client: RuntimeClient, request_id: str, content_type: str) -> None:
        self.client = client
        self.request_id = request_id
        self.content_type = content_type
        self.started = False
        self.done = False

    def _start(self) -> None:
        self.started = True
        head = (
            f"POST {API}/invocation/{self.request_id}/response HTTP/1.1\r\n"
            f"Host: {self.client.host}:{self.client.port}\r\n"
            "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
            "Transfer-Encoding: chunked\r\n"
            "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n"
            f"Content-Type: {self.content_type}\r\n\r\n"
        )
        self.client.send_raw(head.encode("latin-1"))

    def write(self, data: bytes) -> None:
        if not self.started:
            self._start()
        if data:
            self.client.send_raw(b"%x\r\n%s\r\n" % (len(data), data))

    def finish(self) -> None:
        if not self.started:
            self._start()
        self.done = True
        self.client.send_raw(b"0\r\n\r\n")
        self._answer()

    def fail(self, error: dict[str, Any]) -> None:
        """The invocation failed after its response began: report it in the trailers."""
        import base64

        if not self.started:
            self._start()
        self.done = True
        error_type = str(error.get("errorType", "Error")).replace("\r", " ").replace("\n", " ")
        body = base64.b64encode(json.dumps(error).encode()).decode("ascii")
        self.client.send_raw(
            (
                "0\r\n"
                f"Lambda-Runtime-Function-Error-Type: {error_type}\r\n"
                f"Lambda-Runtime-Function-Error-Body: {body}\r\n\r\n"
            ).encode("latin-1")
        )
        self._answer()

    def _answer(self) -> None:
        status, _, body = self.client.read_response()
        if status != 202:
            sys.stderr.write(
                f"aloft: streamed /response for {self.request_id} answered {status}: "
                f"{body[:200]!r}\n"
            )


STREAM_ENV = "ALOFT_LAMBDA_STREAM"
HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"


def streaming_enabled(environ: Any = None) -> bool:
    """Whether this function streams its responses (a Function URL in RESPONSE_STREAM mode)."""
    from aloft.runtime._switch import switch

    return switch(os.environ if environ is None else environ, STREAM_ENV, False)


def _json_header(value: str | None) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def unmarshal(body: bytes) -> Any:
    """The event: JSON, or None for an empty payload."""
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError as exc:
        raise RuntimeFault("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}") from None


def marshal(result: Any) -> bytes:
    try:
        return json.dumps(result).encode()
    except (TypeError, ValueError) as exc:
        raise RuntimeFault("Runtime.MarshalError", f"Unable to marshal response: {exc}") from None


def error_payload(exc: BaseException, request_id: str = "") -> dict[str, Any]:
    """The error as Lambda's runtimes report it (awslambdaric's fields, in its order), with the
    stack trace starting in the user's code, not in this loop."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    # By name, not by __file__: in a zip of bytecode the recorded path is the build's.
    while frames and frames[0].filename.replace("\\", "/").endswith(_THIS):
        frames.pop(0)
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
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
        streaming = streaming_enabled()
    except Exception as exc:
        sys.stderr.write(
            f"aloft: cannot load handler {handler_spec!r}: {type(exc).__name__}: {exc}\n"
        )
        import contextlib

        with contextlib.suppress(RuntimeAPIError):  # a Runtime API already gone cannot be told
            client.init_error(error_payload(exc))
        return 1
    from aloft.runtime.aws_lambda.environments import shutdown_all

    install_sigterm(shutdown_all)
    from aloft.runtime.aws_lambda.context import response_stream

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
        stream = (
            ResponseStream(client, context.aws_request_id, HTTP_INTEGRATION) if streaming else None
        )
        token = response_stream.set(stream)
        try:
            event = unmarshal(body)
            result = handler(event, context)
            payload = b"" if stream is not None and stream.done else marshal(result)
        except RuntimeFault as fault:
            error = fault.payload(context.aws_request_id)
            if not _report(client, context.aws_request_id, stream, error):
                return 0
        except RuntimeAPIError:
            return 0  # lost the Runtime API while streaming
        except Exception as exc:
            error = error_payload(exc, context.aws_request_id)
            if not _report(client, context.aws_request_id, stream, error):
                return 0
        else:
            try:
                if stream is not None and stream.started:
                    if not stream.done:  # the handler wrote and returned: the stream is whole
                        stream.finish()
                else:
                    client.respond(context.aws_request_id, payload)
            except RuntimeAPIError:
                return 0
        finally:
            response_stream.reset(token)
        served += 1
        if max_invocations and served >= max_invocations:
            return 0


def _report(
    client: RuntimeClient, request_id: str, stream: ResponseStream | None, error: dict[str, Any]
) -> bool:
    """Report a failed invocation: in the trailers if its response began, else to /error.
    False when the Runtime API is gone."""
    try:
        if stream is not None and stream.started:
            if not stream.done:
                stream.fail(error)
        else:
            client.error(request_id, error)
    except RuntimeAPIError:
        return False
    return True


def install_sigterm(on_term: Callable[[], object]) -> None:
    """Call `on_term` (the app's shutdown hooks), then exit, if Lambda sends SIGTERM before
    stopping the environment.

    It does so only for a function with an extension registered; otherwise the environment is
    frozen and later killed without notice, and no hook runs (`aloft lambda serve` does the
    same).
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def stop(signum: int, frame: Any) -> None:
        on_term()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
