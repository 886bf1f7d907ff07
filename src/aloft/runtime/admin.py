"""Probes and metrics off the public port: the admin listener.

With `admin_port` set (ALOFT_ADMIN_PORT; `aloft k8s render` sets it), the server listens on a
second port, and the app's port and the admin port split aloft's paths between them: /healthz,
/readyz and /metrics answer only on the admin port (for the kubelet and Prometheus), everything
else only on the app port (what the Service and the Ingress expose). Both listeners are served
by the same workers, so a probe still proves that a worker answers.

The port a request came in on is the listening socket's own (ASGI `scope["server"]`, WSGI
`SERVER_PORT` from gunicorn's listener address), never the Host header a client may forge.

Installed only when `admin_port` is set, so a server without one pays nothing per request.
Readiness never carries a check's error, on either port (see `health._verdict`).
"""

from __future__ import annotations

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

NOT_FOUND = b'{"error":"not found"}'


class _Split:
    """Which listener serves which path."""

    def __init__(self, options: ServeOptions) -> None:
        self.admin_port = str(options.admin_port)  # as ASGI's server tuple and WSGI's SERVER_PORT
        self.own_paths = frozenset((options.health_path, options.ready_path, options.metrics_path))

    def passes(self, port: Any, path: str) -> bool:
        """Whether the wrapped app answers: aloft's paths on the admin port, the rest elsewhere."""
        on_admin = str(port) == self.admin_port
        return on_admin == (path in self.own_paths)


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
        if self.split.passes(server[1] if server else None, scope.get("path", "")):
            await self.app(scope, receive, send)
        elif kind != "http":
            await send({"type": "websocket.close", "code": 1008})
        else:
            await _send(send, 404, NOT_FOUND)


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
        if self.split.passes(environ.get("SERVER_PORT"), environ.get("PATH_INFO") or "/"):
            return self.app(environ, start_response)
        start_response(
            "404 Not Found",
            [
                ("Content-Type", "application/json"),
                ("Cache-Control", "no-store"),
                ("Content-Length", str(len(NOT_FOUND))),
            ],
        )
        return [NOT_FOUND]


def wrap(app: Any, options: ServeOptions, interface: str) -> Any:
    """aloft's wrapped app, behind the split of paths between the app and admin ports."""
    return AdminASGI(app, options) if interface == "asgi" else AdminWSGI(app, options)


def listeners(options: ServeOptions) -> list[tuple[str, int]]:
    """(host, port) of every listener: the app's, then the admin port's when set."""
    out = [(options.host, options.port)]
    if options.admin_port:
        out.append((options.host, options.admin_port))
    return out
