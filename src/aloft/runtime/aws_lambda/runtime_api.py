"""A pure-Python Lambda Runtime API client and the bootstrap loop around a handler.

The loop: GET /runtime/invocation/next (blocks until an event), call the handler, POST the result
to /response or the error to /error; a handler that fails to load is reported to /init/error.
An error in one invocation never ends the loop; only losing the Runtime API does.
"""

from __future__ import annotations

import http.client
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
    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.host, self.port = host or address, int(port) if port.isdigit() else 80
        self._conn: http.client.HTTPConnection | None = None

    def _request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        for attempt in (1, 2):
            if self._conn is None:
                # /next blocks until there is work: no timeout on the socket.
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=None)
            try:
                self._conn.request(method, path, body=body, headers=headers or {})
                reply = self._conn.getresponse()
                return reply.status, reply.headers, reply.read()
            except (OSError, http.client.HTTPException) as exc:
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise RuntimeAPIError(f"{method} {path}: {exc}") from exc
        raise AssertionError("unreachable")

    def next(self) -> tuple[bytes, LambdaContext]:
        status, headers, body = self._request("GET", f"{API}/invocation/next")
        if status != 200:
            raise RuntimeAPIError(f"/invocation/next answered {status}")
        context = LambdaContext(
            aws_request_id=headers.get("Lambda-Runtime-Aws-Request-Id", ""),
            deadline_ms=int(headers.get("Lambda-Runtime-Deadline-Ms") or 0),
            invoked_function_arn=headers.get("Lambda-Runtime-Invoked-Function-Arn", ""),
            trace_id=headers.get("Lambda-Runtime-Trace-Id", ""),
            client_context=_json_header(headers.get("Lambda-Runtime-Client-Context")),
            identity=_json_header(headers.get("Lambda-Runtime-Cognito-Identity")),
            tenant_id=headers.get("Lambda-Runtime-Aws-Tenant-Id"),
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
