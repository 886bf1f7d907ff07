"""aloft's ASGI middleware: probes and /metrics before the app, ids and RED metrics around it.

A plain ASGI callable (no BaseHTTPMiddleware, whose per-request task costs more than all of this).
"""

from __future__ import annotations

import time

from aloft.runtime import health, logs, metrics, tracing
from aloft.runtime.observe import LIVE, METRICS, READY, Observer

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, MutableMapping
    from typing import Any

    from aloft.runtime.options import ServeOptions

    Scope = MutableMapping[str, Any]
    Message = MutableMapping[str, Any]
    Receive = Callable[[], Awaitable[Message]]
    Send = Callable[[Message], Awaitable[None]]
    ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_JSON = (b"content-type", b"application/json")
_TEXT = (b"content-type", b"text/plain; version=0.0.4; charset=utf-8")
_NO_STORE = (b"cache-control", b"no-store")
_CLOSE = (b"connection", b"close")


class AloftASGI:
    def __init__(self, app: ASGIApp, options: ServeOptions) -> None:
        self.app = app
        self.observer = Observer(app, options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        observer = self.observer
        path: str = scope["path"]
        probe = observer.probes.get(path)
        if probe is not None and not observer.observe_probes:
            await self._answer(probe, send)
            return

        request_id = traceparent = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value.decode("latin-1")
            elif name == b"traceparent":
                traceparent = value.decode("latin-1")
        ctx = observer.start(request_id, traceparent)
        if tracing.otel_active():  # the app's server span must continue our trace
            scope["headers"] = [
                *(h for h in scope["headers"] if h[0] != b"traceparent"),
                (b"traceparent", ctx.traceparent.encode()),
            ]
        rid_header = (b"x-request-id", ctx.request_id.encode("latin-1"))
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = message.get("headers")
                if type(headers) is list:
                    headers.append(rid_header)  # the app's own list, sent once and dropped
                else:
                    headers = message["headers"] = [*(headers or ()), rid_header]
                if health.draining_now() and _CLOSE not in headers:
                    # Keep-alive clients reconnect (elsewhere) before the listener closes.
                    headers.append(_CLOSE)
            await send(message)

        token = tracing.current.set(ctx)
        held = None if ctx.sampled else logs.begin_request(False)
        root_path = scope.get("root_path", "")
        turn = observer.begin_soon()
        spans = observer.spans
        entered = spans.enter(ctx) if spans is not None else None
        error = ""
        started = time.perf_counter()
        try:
            if probe is not None:
                await self._answer(probe, send_with_id)
            else:
                await self.app(scope, receive, send_with_id)
        except BaseException as exc:
            error = type(exc).__qualname__
            raise
        finally:
            ended = time.perf_counter()
            seconds = ended - started
            route = path if probe is not None else observer.route(scope, root_path)
            if spans is not None:
                spans.leave(entered)
                if ctx.trace_flags == "01":
                    observer.export(
                        ctx,
                        scope["method"],
                        path,
                        route,
                        status,
                        seconds,
                        _attributes(scope),
                        error,
                        ended,
                    )
            if turn is not None:
                observer.finish_soon(
                    turn,
                    scope["method"],
                    path,
                    route,
                    status,
                    seconds,
                    ctx,
                    None if held is None else logs.held_lines(),
                )
            else:
                observer.finish(scope["method"], path, route, status, seconds, ctx)
            if held is not None:
                logs.end_request(held)
            tracing.current.reset(token)

    async def _answer(self, probe: str, send: Send) -> None:
        if probe == LIVE:
            status, body, ctype = 200, health.LIVE_BODY, _JSON
        elif probe == READY:
            status, body = await health.check_async(self.observer.ready_timeout)
            ctype = _JSON
        else:
            assert probe == METRICS
            import asyncio  # already loaded by any ASGI server; not a cost of importing us

            loop = asyncio.get_running_loop()
            text = await loop.run_in_executor(_exposition_thread(), metrics.scrape)
            status, body, ctype = 200, text.encode(), _TEXT
        headers = [ctype, _NO_STORE, (b"content-length", str(len(body)).encode())]
        if health.draining_now():
            headers.append(_CLOSE)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _attributes(scope: Scope) -> dict[str, Any]:
    """A sampled request's span attributes beyond method, path, route and status."""
    attributes: dict[str, Any] = {
        "url.scheme": scope.get("scheme", "http"),
        "network.protocol.version": scope.get("http_version", "1.1"),
    }
    host = next((v for k, v in scope["headers"] if k == b"host"), None)
    if host is not None:
        name, _, port = host.decode("latin-1").rpartition(":")
        if name and port.isdigit():
            attributes["server.address"], attributes["server.port"] = name, int(port)
        else:
            attributes["server.address"] = host.decode("latin-1")
    client = scope.get("client")
    if client:
        attributes["client.address"] = client[0]
    return attributes


_exposer: Any = None


def _exposition_thread() -> Any:
    """/metrics' own thread: never queued behind the app's or readiness checks' blocking calls
    on the loop's default executor."""
    global _exposer
    if _exposer is None:
        from concurrent.futures import ThreadPoolExecutor

        _exposer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aloft-metrics")
    return _exposer
