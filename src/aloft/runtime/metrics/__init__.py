"""Metrics in the Prometheus text format, summed correctly over pre-forked workers.

Four parts: the shared-memory store (`store`: per-worker files, the archive of dead workers),
the server's request metrics (`red`), the text exposition (`exposition`, imported on the first
scrape) and the /proc process metrics (`process`). An app defines its own with `counter`,
`gauge` and `histogram` (`app`, imported on first use):

    from aloft.runtime import metrics
    orders = metrics.counter("orders_total", "Orders placed", labels=("kind",))
    orders.labels(kind="gift").inc()
"""

from __future__ import annotations

import os

from aloft.runtime._lazy import lazy_getattr
from aloft.runtime.metrics import red, store
from aloft.runtime.metrics.red import (
    BUCKETS,
    DURATION,
    IN_FLIGHT,
    MAX_SERIES,
    OTHER_METHOD,
    OTHER_ROUTE,
    REQUESTS,
    UNMATCHED,
    Metrics,
)
from aloft.runtime.metrics.store import (
    SEP,
    Admission,
    Store,
    label,
    labels_of,
    read_file,
    worker_file,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from aloft.runtime.metrics.app import counter, gauge, histogram

__all__ = [
    "BUCKETS",
    "DURATION",
    "IN_FLIGHT",
    "MAX_SERIES",
    "OTHER_METHOD",
    "OTHER_ROUTE",
    "REQUESTS",
    "SEP",
    "UNMATCHED",
    "Metrics",
    "Store",
    "counter",
    "exposition",
    "fold_dead_worker",
    "gauge",
    "get",
    "histogram",
    "label",
    "labels_of",
    "read_file",
    "scrape",
    "worker_file",
]


def scrape(of: Metrics | None = None) -> str:
    """The Prometheus text of every process of the server (what /metrics answers).

    The text format is imported on the first scrape, not at start-up; it lives here rather than
    on `Metrics` so that `red` never imports the module that renders it (one way: exposition
    reads red).
    """
    from aloft.runtime.metrics import exposition as text

    return text.render(of if of is not None else get())


def fold_dead_worker(run_dir: str, pid: int) -> None:
    """Master side: keep a dead worker's counters in the archive, drop its gauges and file.

    The archive outlives every worker, so it holds at most MAX_SERIES request series of each
    metric too; a dead worker's series beyond that are folded under route OTHER_ROUTE.
    """
    store.fold_dead_worker(run_dir, pid, _admission)


def _admission(archive: dict[str, float]) -> Admission:
    from aloft.runtime.metrics import app

    requests, apps = red.admission(archive), app.admission(archive)
    return lambda key: apps(key) if key.startswith("#") else requests(key)


_process_metrics: Metrics | None = None


def get() -> Metrics:
    """This process's metrics, created on first use so each forked worker gets its own file."""
    global _process_metrics
    if _process_metrics is None:
        _process_metrics = Metrics(os.environ.get("_ALOFT_RUN_DIR") or None)
    return _process_metrics


def _forget_after_fork() -> None:
    global _process_metrics
    _process_metrics = None


os.register_at_fork(after_in_child=_forget_after_fork)

_APP = "aloft.runtime.metrics.app"
__getattr__ = lazy_getattr(__name__, {"counter": _APP, "gauge": _APP, "histogram": _APP}, globals())
