"""Probes and metrics off the public port: the admin listener, and readiness without details.

With `admin_port` set (ALOFT_ADMIN_PORT; `aloft k8s render` sets it), the server listens on a
second port, and the app's port and the admin port split aloft's paths between them: /healthz,
/readyz and /metrics answer only on the admin port (for the kubelet and Prometheus), everything
else only on the app port (what the Service and the Ingress expose). Both listeners are served
by the same workers, so a probe still proves that a worker answers.

The port a request came in on is the listening socket's own (ASGI `scope["server"]`, WSGI
`SERVER_PORT` from gunicorn's listener address), never the Host header a client may forge.

Readiness on a public port (no admin port: `aloft run`, plain containers) reports only which
checks pass: a failing check's error ("Error 111 connecting to 10.0.3.7:6379") can name internal
addresses, so it goes to the log (once per change) instead of the response.
"""

from __future__ import annotations

import json
import logging

from aloft.runtime import health

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, MutableMapping
    from typing import Any

    from aloft.runtime.options import ServeOptions

    Scope = MutableMapping[str, Any]
    Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
    Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
    ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
    WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

log = logging.getLogger("aloft.serve")
NOT_FOUND = b'{"error":"not found"}'
_STATUS = {200: "200 OK", 404: "404 Not Found", 503: "503 Service Unavailable"}


class _Split:
    """Which listener serves which path, and the public readiness answer."""

    def __init__(self, options: ServeOptions) -> None:
        self.admin_port = options.admin_port
        self.own_paths = frozenset((options.health_path, options.ready_path, options.metrics_path))
        self.ready_path = options.ready_path
        self.ready_timeout = options.ready_timeout
        self._last_failures: dict[str, str] = {}

    def route(self, port: Any, path: str) -> str:
        """ "pass" to the wrapped app, "404", or "ready" (answer public readiness here)."""
        if self.admin_port:
            on_admin = str(port) == str(self.admin_port)
            return "pass" if on_admin == (path in self.own_paths) else "404"
        return "ready" if path == self.ready_path else "pass"

    def public(self, status: int, body: bytes) -> bytes:
        """The readiness body with each check's error taken out (and logged when it changes)."""
        try:
            document = json.loads(body)
        except ValueError:
            return body
        checks = document.get("checks") or {}
        failures = {
            name: str(result.get("error", ""))
            for name, result in checks.items()
            if isinstance(result, dict) and not result.get("ok")
        }
        if failures != self._last_failures:
            for name, error in sorted(failures.items()):
                log.warning("readiness check %s failing: %s", name, error, extra={"check": name})
            self._last_failures = failures
        document["checks"] = {
            name: {"ok": bool(result.get("ok"))} if isinstance(result, dict) else result
            for name, result in checks.items()
        }
        return json.dumps(document, separators=(",", ":")).encode()


class AdminASGI:
    def __init__(self, app: ASGIApp, options: ServeOptions) -> None:
        self.app = app
        self.split = _Split(options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self.app(scope, receive, send)
            return
        server = scope.get("server")
        decision = self.split.route(server[1] if server else None, scope.get("path", ""))
        if decision == "pass":
            await self.app(scope, receive, send)
        elif kind != "http":
            await send({"type": "websocket.close", "code": 1008})
        elif decision == "404":
            await _send(send, 404, NOT_FOUND)
        else:
            status, body = await health.check_async(self.split.ready_timeout)
            await _send(send, status, self.split.public(status, body))


async def _send(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"cache-control", b"no-store"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class AdminWSGI:
    def __init__(self, app: WSGIApp, options: ServeOptions) -> None:
        self.app = app
        self.split = _Split(options)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        decision = self.split.route(environ.get("SERVER_PORT"), environ.get("PATH_INFO") or "/")
        if decision == "pass":
            return self.app(environ, start_response)
        if decision == "404":
            status, body = 404, NOT_FOUND
        else:
            status, body = health.check_sync(self.split.ready_timeout)
            body = self.split.public(status, body)
        start_response(
            _STATUS.get(status, f"{status} Unknown"),
            [
                ("Content-Type", "application/json"),
                ("Cache-Control", "no-store"),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]


def wrap(app: Any, options: ServeOptions, interface: str) -> Any:
    """aloft's wrapped app, behind the split of paths between the app and admin ports."""
    return AdminASGI(app, options) if interface == "asgi" else AdminWSGI(app, options)


def listeners(options: ServeOptions) -> list[tuple[str, int]]:
    """(host, port) of every listener: the app's, then the admin port's when set."""
    out = [(options.host, options.port)]
    if options.admin_port:
        out.append((options.host, options.admin_port))
    return out
