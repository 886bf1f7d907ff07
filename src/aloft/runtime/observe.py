"""What the ASGI and WSGI middleware share: aloft's own paths, and what a request records."""

from __future__ import annotations

from aloft.runtime import logs, metrics, tracing
from aloft.runtime.routes import resolver_for

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import MutableMapping
    from typing import Any

    from aloft.runtime.options import ServeOptions

LIVE, READY, METRICS = "live", "ready", "metrics"


def _random() -> float:
    import random  # only with log sampling on; it is slow to import

    return random.random()


class Observer:
    """Per-app request bookkeeping: ids in, metrics and one access line out."""

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

    def probe(self, path: str) -> str | None:
        """Which of aloft's endpoints `path` is, answered before the app sees the request."""
        return self.probes.get(path)

    def start(self, request_id: str | None, traceparent: str | None) -> tracing.RequestContext:
        sampled = self.sample_rate >= 1.0 or _random() < self.sample_rate
        return tracing.start(request_id, traceparent, sampled)

    @staticmethod
    def otel_loaded() -> bool:
        """Whether the app traces with OpenTelemetry, whose server span must continue our trace."""
        return tracing.otel_active()

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
        metrics.get().request_finished(method, route, status, seconds)
        if self.access_log:
            logs.access(method, path, route, status, seconds, "", ctx)
