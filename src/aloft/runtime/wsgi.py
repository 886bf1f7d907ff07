"""aloft's WSGI middleware: probes and /metrics before the app, ids and RED metrics around it.

The request is finished (metrics, access line) when the server closes the response iterable,
so streamed bodies are timed whole.
"""

from __future__ import annotations

import time

from aloft.runtime import health, logs, metrics, tracing
from aloft.runtime.observe import LIVE, READY, Observer

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any

    from aloft.runtime.options import ServeOptions

    Environ = dict[str, Any]
    StartResponse = Callable[..., Any]
    WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_STATUS = {200: "200 OK", 503: "503 Service Unavailable"}


class AloftWSGI:
    def __init__(self, app: WSGIApp, options: ServeOptions) -> None:
        self.app = app
        self.observer = Observer(app, options)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        observer = self.observer
        path = environ.get("PATH_INFO", "") or "/"
        probe = observer.probe(path)
        if probe is not None and not observer.observe_probes:
            return self._answer(probe, start_response)

        ctx = observer.start(environ.get("HTTP_X_REQUEST_ID"), environ.get("HTTP_TRACEPARENT"))
        if tracing.otel_active():  # the app's server span must continue our trace
            environ["HTTP_TRACEPARENT"] = ctx.traceparent
        rid_header = ("X-Request-ID", ctx.request_id)
        state = {"status": 500}

        def start_with_id(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            try:
                state["status"] = int(status.split(" ", 1)[0])
            except ValueError:
                state["status"] = 500
            return start_response(status, [*headers, rid_header], exc_info)

        token = tracing.current.set(ctx)
        held = logs.begin_request(ctx.sampled)
        observer.begin()
        spans = observer.spans
        entered = spans.enter(ctx) if spans is not None else None
        started = time.perf_counter()

        def finish(error: str = "") -> None:
            ended = time.perf_counter()
            seconds = ended - started
            route = (
                path
                if probe is not None
                else observer.route(environ, environ.get("SCRIPT_NAME", ""))
            )
            method = environ.get("REQUEST_METHOD", "GET")
            observer.finish(method, path, route, state["status"], seconds, ctx)
            if spans is not None and ctx.trace_flags == "01":
                observer.export(
                    ctx,
                    method,
                    path,
                    route,
                    state["status"],
                    seconds,
                    _attributes(environ),
                    error,
                    ended,
                )
            try:
                if spans is not None:
                    spans.leave(entered)
                logs.end_request(held)
                tracing.current.reset(token)
            except ValueError:
                pass  # the server closed the response from another thread: nothing to undo there

        result: Iterable[bytes]
        try:
            if probe is not None:
                result = self._answer(probe, start_with_id)
            else:
                result = self.app(environ, start_with_id)
        except BaseException as exc:
            finish(type(exc).__qualname__)
            raise
        return _Finishing(result, finish)

    def _answer(self, probe: str, start_response: StartResponse) -> list[bytes]:
        if probe == LIVE:
            status, body, ctype = 200, health.LIVE_BODY, "application/json"
        elif probe == READY:
            status, body = health.check_sync(self.observer.ready_timeout)
            ctype = "application/json"
        else:
            status, body = 200, metrics.scrape().encode()
            ctype = "text/plain; version=0.0.4; charset=utf-8"
        start_response(
            _STATUS.get(status, f"{status} Unknown"),
            [
                ("Content-Type", ctype),
                ("Cache-Control", "no-store"),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]


def _attributes(environ: Environ) -> dict[str, Any]:
    """A sampled request's span attributes beyond method, path, route and status."""
    attributes: dict[str, Any] = {
        "url.scheme": environ.get("wsgi.url_scheme", "http"),
        "network.protocol.version": environ.get("SERVER_PROTOCOL", "HTTP/1.1").partition("/")[2],
    }
    host = environ.get("HTTP_HOST")
    if host:
        name, _, port = host.rpartition(":")
        if name and port.isdigit():
            attributes["server.address"], attributes["server.port"] = name, int(port)
        else:
            attributes["server.address"] = host
    if environ.get("REMOTE_ADDR"):
        attributes["client.address"] = environ["REMOTE_ADDR"]
    return attributes


class _Finishing:
    """The app's response iterable, finishing the request's bookkeeping when closed."""

    def __init__(self, result: Iterable[bytes], finish: Callable[[], None]) -> None:
        self.result = result
        self.finish: Callable[[], None] | None = finish

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.result)

    def close(self) -> None:
        try:
            close = getattr(self.result, "close", None)
            if close is not None:
                close()
        finally:
            if self.finish is not None:
                finish, self.finish = self.finish, None
                finish()
