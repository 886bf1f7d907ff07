"""RED metrics of the server's requests: counts, durations and requests in flight.

Recorded per process into the shared store (`store.py`): a request's numbers are one lock
acquisition and a few struct stores. Series are (method, route template, status); a process,
and the archive, keep at most MAX_SERIES of them apart, so an app whose routes are not
templates cannot grow /metrics without end.
"""

from __future__ import annotations

import bisect
import logging
import os
from collections.abc import Iterable

from aloft.runtime.metrics.store import SEP, Admission, Store, files, label, labels_of, worker_file

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = "http_requests_total"
DURATION = "http_request_duration_seconds"
IN_FLIGHT = "http_requests_in_flight"
UNMATCHED = "<unmatched>"
# Methods outside HTTP's registered set share one label value, as OpenTelemetry's conventions do.
OTHER_METHOD = "_OTHER"
_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT")
)
# Request series (method, route, status) one process, or the archive, keeps apart; beyond it a
# new series is counted under route OTHER_ROUTE. Templates keep routes bounded, but an app whose
# routes are not templates (or a framework we cannot read) must not grow /metrics without end.
MAX_SERIES = 1000
OTHER_ROUTE = "_other"

log = logging.getLogger("aloft.metrics")


def admission(archive: dict[str, float]) -> Admission:
    """What of a dead worker's RED keys the archive keeps: counters (the in-flight gauge
    describes a process that is gone), within MAX_SERIES series per metric."""
    cap = _SeriesCap(archive)

    def admit(key: str) -> str | None:
        if key.startswith(IN_FLIGHT):
            return None
        return cap.key(key)

    return admit


def _key_shape(key: str) -> tuple[str, int] | None:
    """(prefix, label count) of a request-series key; None for other keys."""
    if key.startswith(REQUESTS + SEP):
        return REQUESTS + SEP, 3
    if key.startswith(DURATION + "_sum" + SEP):
        return DURATION + "_sum" + SEP, 2
    if key.startswith(DURATION + SEP):
        return DURATION + SEP, 3
    return None


class _SeriesCap:
    """Which request series a store already holds, and the key a new one is kept under."""

    def __init__(self, existing: Iterable[str]) -> None:
        # (metric, method, route[, status]) of every series present.
        self.series: set[tuple[str, ...]] = set()
        for key in existing:
            series = self._series(key)
            if series is not None:
                self.series.add(series)
        self.count = {REQUESTS: 0, DURATION: 0}
        for series in self.series:
            self.count[series[0]] += 1

    @staticmethod
    def _series(key: str) -> tuple[str, ...] | None:
        shape = _key_shape(key)
        if shape is None:
            return None
        prefix, count = shape
        try:
            values = labels_of(key, prefix, count)
        except ValueError:
            return None
        if prefix == REQUESTS + SEP:
            return (REQUESTS, *values)
        return (DURATION, values[0], values[1])  # a histogram's series: method and route

    def key(self, key: str) -> str | None:
        """`key`, or the same key under route OTHER_ROUTE once the cap is reached; None for a
        malformed key (dropped rather than kept to break every later exposition)."""
        shape = _key_shape(key)
        if shape is None:
            return key
        series = self._series(key)
        if series is None:
            return None
        if series in self.series:
            return key
        metric = series[0]
        if self.count[metric] < MAX_SERIES:
            self.series.add(series)
            self.count[metric] += 1
            return key
        prefix, count = shape
        values = labels_of(key, prefix, count)
        values[1] = OTHER_ROUTE
        return prefix + SEP.join(label(v) for v in values)


class Metrics:
    """The request metrics of this process, and the exposition of all processes of the server."""

    def __init__(self, run_dir: str | None = None) -> None:
        self.run_dir = run_dir
        self.store = Store(worker_file(run_dir, os.getpid()) if run_dir else None)
        self.bounds = BUCKETS
        self._in_flight = self.store.cell(IN_FLIGHT)
        self._started = ((self._in_flight, 1.0),)
        # (method, route, status) -> (request count cell, duration sum cell, bucket cells)
        self._series: dict[tuple[str, str, int], tuple[int, int, tuple[int, ...]]] = {}
        # (method, status) -> the cells of route OTHER_ROUTE, once MAX_SERIES is reached.
        self._other: dict[tuple[str, int], tuple[int, int, tuple[int, ...]]] = {}

    def request_started(self) -> None:
        self.store.add_cells(self._started)

    def request_finished(self, method: str, route: str, status: int, seconds: float) -> None:
        if method not in _METHODS:
            method = OTHER_METHOD  # clients choose the method: keep the label set bounded
        series = self._series.get((method, route, status))
        if series is None:
            series = self._resolve(method, route, status)
        count, total, buckets = series
        self.store.add_cells(
            (
                (self._in_flight, -1.0),
                (count, 1.0),
                (buckets[bisect.bisect_left(self.bounds, seconds)], 1.0),
                (total, seconds),
            )
        )

    def requests_changed(
        self, started: int, finished: Iterable[tuple[str, str, int, float]]
    ) -> None:
        """Requests begun and (method, route, status, seconds) of those finished, at once (an
        event-loop turn's): one lock, and one store per cell touched however many requests."""
        updates: dict[int, float] = {}
        get = updates.get
        bounds = self.bounds
        done = 0
        for method, route, status, seconds in finished:
            label = method if method in _METHODS else OTHER_METHOD
            series = self._series.get((label, route, status))
            if series is None:
                series = self._resolve(label, route, status)
            count, total, buckets = series
            bucket = buckets[bisect.bisect_left(bounds, seconds)]
            updates[count] = get(count, 0.0) + 1.0
            updates[bucket] = get(bucket, 0.0) + 1.0
            updates[total] = get(total, 0.0) + seconds
            done += 1
        if started != done:
            updates[self._in_flight] = float(started - done)
        if updates:
            self.store.add_cells(tuple(updates.items()))

    def _resolve(self, method: str, route: str, status: int) -> tuple[int, int, tuple[int, ...]]:
        if len(self._series) >= MAX_SERIES:
            return self._overflow(method, status)
        labels = label(method) + SEP + label(route)
        cell = self.store.cell
        series = (
            cell(REQUESTS + SEP + labels + SEP + str(status)),
            cell(DURATION + "_sum" + SEP + labels),
            tuple(cell(DURATION + SEP + labels + SEP + str(i)) for i in range(len(BUCKETS) + 1)),
        )
        self._series[(method, route, status)] = series
        return series

    def _overflow(self, method: str, status: int) -> tuple[int, int, tuple[int, ...]]:
        """The series a request beyond MAX_SERIES is counted in: its route label is OTHER_ROUTE."""
        series = self._other.get((method, status))
        if series is None:
            if not self._other:
                log.warning(
                    "metrics: more than %d request series; further routes are counted as "
                    'route="%s" (are route labels templates? see the app\'s routing)',
                    MAX_SERIES,
                    OTHER_ROUTE,
                    extra={"max_series": MAX_SERIES},
                )
            labels = label(method) + SEP + OTHER_ROUTE
            cell = self.store.cell
            series = (
                cell(REQUESTS + SEP + labels + SEP + str(status)),
                cell(DURATION + "_sum" + SEP + labels),
                tuple(
                    cell(DURATION + SEP + labels + SEP + str(i)) for i in range(len(BUCKETS) + 1)
                ),
            )
            self._other[(method, status)] = series
        return series

    def snapshots(self) -> list[dict[str, float]]:
        """The stores of this process or, with a run dir, of all workers past and present."""
        if self.run_dir is None:
            return [self.store.values]
        return files(self.run_dir)

    def totals(self) -> dict[str, float]:
        """Every key summed over this process and, with a run dir, all workers past and present."""
        return add_up(self.snapshots())


def add_up(snapshots: Iterable[dict[str, float]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for values in snapshots:
        for key, value in values.items():
            totals[key] = totals.get(key, 0.0) + value
    return totals
