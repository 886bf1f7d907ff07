"""What the ASGI and WSGI middleware share: aloft's own paths, and what a request records."""

from __future__ import annotations

import atexit
import os
import time
import weakref
from _thread import get_ident  # threading's, without importing threading

from aloft.runtime import logs, metrics, tracing
from aloft.runtime.routes import resolver_for

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from typing import Any

    from aloft.runtime.options import ServeOptions

    # method, path, route, status, seconds, ids, held-back lines, line due
    Finished = tuple[str, str, str, int, float, tracing.RequestContext, list[str] | None, bool]

LIVE, READY, METRICS = "live", "ready", "metrics"


def _random() -> float:
    import random  # only with log sampling on; it is slow to import

    return random.random()


class Observer:
    """Per-app request bookkeeping: ids in, metrics and one access line out."""

    # ASGI requests that finish in one turn of the event loop are recorded together at the start
    # of the next: metrics in one pass and their access lines in one write(2). The app's response
    # is already sent; a line waits at most one loop turn (stdout buffering in most Python
    # services waits far longer). Lambda turns this off: its lines must be out before the
    # invocation returns.
    batch = True

    def __init__(self, app: Any, options: ServeOptions) -> None:
        self.resolver = resolver_for(app)
        self.probes = {
            options.health_path: LIVE,
            options.ready_path: READY,
            options.metrics_path: METRICS,
        }
        self.observe_probes = options.observe_probes
        self.access_log = options.access_log
        self.sample_rate = options.log_sample_rate
        self.ready_timeout = options.ready_timeout
        self._turns: dict[Any, _Turn] = {}  # per event loop
        self._by_thread: dict[int, _Turn] = {}  # the turn of the loop each thread last ran
        self.spans = span_export()
        _observers.add(self)

    def probe(self, path: str) -> str | None:
        """Which of aloft's endpoints `path` is, answered before the app sees the request."""
        return self.probes.get(path)

    def start(self, request_id: str | None, traceparent: str | None) -> tracing.RequestContext:
        sampled = self.sample_rate >= 1.0 or _random() < self.sample_rate
        ctx = tracing.start(request_id, traceparent, sampled)
        spans = self.spans
        if spans is not None:
            # The trace's sampling decides the flags passed on, and keeps a sampled trace's logs.
            ctx.trace_flags = spans.decide(
                ctx.trace_id, ctx.trace_flags if ctx.parent_span_id else None
            )
            if ctx.trace_flags == "01":
                ctx.sampled = True
        return ctx

    def export(
        self,
        ctx: tracing.RequestContext,
        method: str,
        path: str,
        route: str,
        status: int,
        seconds: float,
        attributes: dict[str, Any],
        error: str,
        ended: float | None = None,
    ) -> None:
        """The request's server span (sampled ones), named and described by HTTP semantic
        conventions; `ended`: the perf_counter() reading the request ended at."""
        spans = self.spans
        if spans is None or ctx.trace_flags != "01":
            return
        attributes["http.request.method"] = method
        attributes["url.path"] = path
        attributes["http.response.status_code"] = status
        name = method
        if route != metrics.UNMATCHED:
            attributes["http.route"] = route
            name = f"{method} {route}"
        if not error and status >= 500:
            error = str(status)
        try:
            spans.server_span(ctx, seconds, name, attributes, error=error, ended=ended)
        except Exception:  # a tracing fault must not fail the request it describes
            import logging

            logging.getLogger("aloft.tracing").exception("could not record the request's span")

    def begin(self) -> None:
        """A request is in flight (the gauge of /metrics)."""
        metrics.get().request_started()

    def route(self, carrier: MutableMapping[str, Any], root_path: str) -> str:
        if self.resolver is not None:
            try:
                template = self.resolver(carrier, root_path)
            except Exception:
                template = None  # a framework quirk must not fail the request it describes
            if template:
                return template
        return metrics.UNMATCHED

    def finish(
        self,
        method: str,
        path: str,
        route: str,
        status: int,
        seconds: float,
        ctx: tracing.RequestContext,
    ) -> None:
        tail = self.record(method, route, status, seconds)
        if self.access_log and logs.access(method, path, route, status, seconds, tail, ctx):
            return
        if tail:
            self.record_alone(method, route, status, seconds)

    def record(self, method: str, route: str, status: int, seconds: float) -> str:
        """Count the request in the metrics; returns what the access line carries of them
        (preformatted JSON members), "" when they are kept apart (the Prometheus store)."""
        metrics.get().request_finished(method, route, status, seconds)
        return ""

    def record_alone(self, method: str, route: str, status: int, seconds: float) -> None:
        """Write the metrics `record` gave the access line, when no access line was written."""

    def begin_soon(self) -> _Turn | None:
        """`begin`, counted with the loop turn's other starts (see `batch`). Returns the turn to
        finish the request in with `finish_soon`; None if begun at once (finish with `finish`)."""
        if not self.batch:
            self.begin()
            return None
        # The turn of this thread's running loop. Asking asyncio for the running loop costs a
        # getpid() system call per request on Python 3.11; the loop a thread runs rarely changes.
        thread = get_ident()
        turn = self._by_thread.get(thread)
        if turn is None or getattr(turn.loop, "_thread_id", None) != thread:
            from asyncio import events  # loaded by any ASGI server; WSGI never gets here

            loop = events._get_running_loop()
            if loop is None:
                self.begin()
                return None
            turn = self._turn_of(loop, thread)
        if not turn.scheduled:
            self._schedule(turn)
        turn.started += 1
        return turn

    def _turn_of(self, loop: Any, thread: int) -> _Turn:
        turn = self._turns.get(loop)
        if turn is None:
            for old in [old for old in self._turns if old.is_closed()]:
                del self._turns[old]  # loops of finished `asyncio.run`s, say
            turn = self._turns[loop] = _Turn(loop)
        self._by_thread[thread] = turn
        return turn

    def _schedule(self, turn: _Turn) -> None:
        turn.scheduled = True
        turn.traced = tracing.otel_active()  # asked once per turn, not per request
        turn.loop.call_soon(self.flush, turn)

    def finish_soon(
        self,
        turn: _Turn,
        method: str,
        path: str,
        route: str,
        status: int,
        seconds: float,
        ctx: tracing.RequestContext,
        held: list[str] | None,
    ) -> None:
        """`finish` for a request begun with `begin_soon`: recorded in the next loop turn."""
        if not turn.scheduled:
            self._schedule(turn)
        if turn.traced:
            # The line now, while OpenTelemetry's span (whose ids it carries) is current.
            if self.access_log:
                logs.access(method, path, route, status, seconds, "", ctx)
            turn.finished.append((method, path, route, status, seconds, ctx, held, False))
        else:
            turn.finished.append((method, path, route, status, seconds, ctx, held, self.access_log))

    def flush(self, turn: _Turn) -> None:
        """Record one loop turn's requests: metrics in one pass, access lines in one write."""
        started, finished = turn.started, turn.finished
        turn.started, turn.finished, turn.scheduled = 0, [], False
        lines: list[str] = []
        now = time.time()  # the turn's requests ended within it: one timestamp serves them all
        try:
            numbers = [(f[0], f[2], f[3], f[4]) for f in finished]
            metrics.get().requests_changed(started, numbers)
            for method, path, route, status, seconds, ctx, held, line_due in finished:
                if line_due:
                    line = logs.access_line(
                        method, path, route, status, seconds, "", ctx, held, now, traced=False
                    )
                    if line is not None:
                        lines.append(line)
        finally:
            if lines:
                logs.write("".join(lines), logs.output_fd())

    def flush_all(self) -> None:
        for turn in list(self._turns.values()):
            if turn.started or turn.finished:
                self.flush(turn)


def span_export() -> Any:
    """The process's span export (aloft.runtime.spans), None when tracing is off: the module is
    imported only when the environment asks for export."""
    env = os.environ
    if not (
        env.get("OTEL_TRACES_EXPORTER")
        or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    ):
        return None
    from aloft.runtime import spans

    return spans.get()


class _Turn:
    """What one event-loop turn's requests left to record."""

    __slots__ = ("finished", "loop", "scheduled", "started", "traced")

    def __init__(self, loop: Any) -> None:
        self.loop = loop
        self.started = 0
        self.finished: list[Finished] = []
        self.scheduled = False
        self.traced = False


_observers: weakref.WeakSet[Observer] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    """Lines of the last loop turn, when the loop closed before it could run the flush."""
    for observer in list(_observers):
        observer.flush_all()
