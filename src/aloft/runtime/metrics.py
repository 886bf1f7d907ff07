"""RED metrics in the Prometheus text format, summed correctly over pre-forked workers.

Each worker keeps its numbers in its own memory-mapped file in the server's run directory (a
write is one struct store, no lock, no syscall). `/metrics`, answered by any worker, adds up every
worker's file. When a worker exits, the master folds its counters into an archive file and
deletes it, so totals survive restarts and the number of files stays bounded. Gauges (requests in
flight) of a dead worker are dropped, as they describe a process that is gone.
"""

from __future__ import annotations

import bisect
import contextlib
import fcntl
import logging
import math
import mmap
import os
import re
import struct
import threading
import time
from collections.abc import Iterable, Iterator

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Between label values inside a key. A value carrying it (a path with %1F in it) is escaped by
# `label`, so no value can split a key into the wrong number of parts.
SEP = "\x1f"

REQUESTS = "http_requests_total"
DURATION = "http_request_duration_seconds"
IN_FLIGHT = "http_requests_in_flight"
UNMATCHED = "<unmatched>"
# Methods outside HTTP's registered set share one label value, as OpenTelemetry's conventions do.
OTHER_METHOD = "_OTHER"
_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT")
)

_HEADER = struct.Struct("<Q")  # bytes used
_LEN = struct.Struct("<I")
_VALUE = struct.Struct("<d")
_INITIAL = 1 << 16
_ARCHIVE = "archive.db"
# Request series (method, route, status) one process, or the archive, keeps apart; beyond it a
# new series is counted under route OTHER_ROUTE. Templates keep routes bounded, but an app whose
# routes are not templates (or a framework we cannot read) must not grow /metrics without end.
MAX_SERIES = 1000
OTHER_ROUTE = "_other"
_LOCK = "metrics.lock"

log = logging.getLogger("aloft.metrics")


def label(value: str) -> str:
    """A label value as stored inside a key: SEP and the escape character itself escaped."""
    if "%" in value or SEP in value:
        return value.replace("%", "%25").replace(SEP, "%1F")
    return value


def _unescape(match: re.Match[str]) -> str:
    return SEP if match.group(1) == "1F" else "%"


_ESCAPED = re.compile("%(25|1F)")


def labels_of(key: str, prefix: str, count: int) -> list[str]:
    """The `count` label values of `key` after `prefix`; ValueError for a malformed key."""
    parts = key[len(prefix) :].split(SEP)
    if len(parts) != count:
        raise ValueError(f"{len(parts)} label values, expected {count}")
    return [_ESCAPED.sub(_unescape, part) if "%" in part else part for part in parts]


class Store:
    """A flat key -> float map; in-process by default, file-backed when given a path.

    Each key is a cell: an index into a list of values and, file-backed, the offset of its slot
    in the map. Hot paths resolve their keys to cells once and then only add to numbers.
    """

    def __init__(self, path: str | None = None) -> None:
        self._cells: dict[str, int] = {}
        self._values: list[float] = []
        self._offsets: list[int] = []
        self._lock = threading.Lock()
        self.path = path
        self._mm: mmap.mmap | None = None
        self._used = _HEADER.size
        if path is not None:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                size = os.fstat(fd).st_size
                if size < _INITIAL:
                    os.ftruncate(fd, _INITIAL)
                    size = _INITIAL
                self._mm = mmap.mmap(fd, size)
            finally:
                os.close(fd)
            for key, value, offset in _entries(bytes(self._mm)):
                self._cells[key] = len(self._values)
                self._values.append(value)
                self._offsets.append(offset)
            self._used = max(_HEADER.unpack_from(self._mm, 0)[0], _HEADER.size)

    @property
    def values(self) -> dict[str, float]:
        values = self._values
        return {key: values[cell] for key, cell in self._cells.items()}

    def cell(self, key: str) -> int:
        """The cell of `key`, made (and written to the map) on first use."""
        cell = self._cells.get(key)
        if cell is None:
            with self._lock:
                cell = self._cells.get(key)
                if cell is None:
                    offset = self._append(key) if self._mm is not None else -1
                    cell = len(self._values)
                    self._values.append(0.0)
                    self._offsets.append(offset)
                    self._cells[key] = cell  # published last: readers see a complete cell
        return cell

    def add(self, key: str, amount: float) -> None:
        self.add_cells(((self.cell(key), amount),))

    def add_many(self, updates: tuple[tuple[str, float], ...]) -> None:
        self.add_cells(tuple((self.cell(key), amount) for key, amount in updates))

    def add_cells(self, updates: tuple[tuple[int, float], ...]) -> None:
        """Several updates under one lock acquisition (a request's metrics, all at once)."""
        values, offsets, mm = self._values, self._offsets, self._mm
        with self._lock:
            for cell, amount in updates:
                value = values[cell] = values[cell] + amount
                if mm is not None:
                    _VALUE.pack_into(mm, offsets[cell], value)

    def _append(self, key: str) -> int:
        """Write a new key (caller holds the lock); returns where its value lives."""
        assert self._mm is not None
        encoded = key.encode("utf-8", "backslashreplace")  # a lone surrogate from a raw path
        padded = (_LEN.size + len(encoded) + 7) // 8 * 8
        needed = self._used + padded + _VALUE.size
        if needed > len(self._mm):
            self._grow(needed)
        _LEN.pack_into(self._mm, self._used, len(encoded))
        self._mm[self._used + _LEN.size : self._used + _LEN.size + len(encoded)] = encoded
        offset = self._used + padded
        _VALUE.pack_into(self._mm, offset, 0.0)
        self._used = offset + _VALUE.size
        # Readers trust only what the header says is written, so it moves last.
        _HEADER.pack_into(self._mm, 0, self._used)
        return offset

    def _grow(self, needed: int) -> None:
        assert self._mm is not None and self.path is not None
        size = len(self._mm)
        while size < needed:
            size *= 2
        self._mm.resize(size)


def _entries(data: bytes) -> Iterator[tuple[str, float, int]]:
    if len(data) < _HEADER.size:
        return
    used = min(_HEADER.unpack_from(data, 0)[0], len(data))
    pos = _HEADER.size
    while pos + _LEN.size <= used:
        (length,) = _LEN.unpack_from(data, pos)
        key = data[pos + _LEN.size : pos + _LEN.size + length].decode("utf-8", "replace")
        offset = pos + (_LEN.size + length + 7) // 8 * 8
        if offset + _VALUE.size > used:
            return
        yield key, _VALUE.unpack_from(data, offset)[0], offset
        pos = offset + _VALUE.size


def read_file(path: str) -> dict[str, float]:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return {}
    return {key: value for key, value, _ in _entries(data)}


@contextlib.contextmanager
def _dir_lock(run_dir: str, exclusive: bool) -> Iterator[None]:
    fd = os.open(os.path.join(run_dir, _LOCK), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


def worker_file(run_dir: str, pid: int) -> str:
    return os.path.join(run_dir, f"worker-{pid}.db")


def fold_dead_worker(run_dir: str, pid: int) -> None:
    """Master side: keep a dead worker's counters in the archive, drop its gauges and file.

    The archive outlives every worker, so it holds at most MAX_SERIES request series of each
    metric too; a dead worker's series beyond that are folded under route OTHER_ROUTE.
    """
    path = worker_file(run_dir, pid)
    with _dir_lock(run_dir, exclusive=True):
        values = read_file(path)
        if values:
            archive = Store(os.path.join(run_dir, _ARCHIVE))
            admitted = _SeriesCap(archive.values)
            for key, value in values.items():
                if key.startswith(IN_FLIGHT) or not value:
                    continue
                kept = admitted.key(key)
                if kept is not None:
                    archive.add(kept, value)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


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
        self._bounds = BUCKETS
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
                (buckets[bisect.bisect_left(self._bounds, seconds)], 1.0),
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
        bounds = self._bounds
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

    def totals(self) -> dict[str, float]:
        """Every key summed over this process and, with a run dir, all workers past and present."""
        if self.run_dir is None:
            return dict(self.store.values)
        totals: dict[str, float] = {}
        with _dir_lock(self.run_dir, exclusive=False):
            for name in os.listdir(self.run_dir):
                if not name.endswith(".db"):
                    continue
                try:
                    values = read_file(os.path.join(self.run_dir, name))
                except (OSError, ValueError, struct.error):
                    continue  # unreadable: the other files still make an exposition
                for key, value in values.items():
                    totals[key] = totals.get(key, 0.0) + value
        return totals

    def exposition(self) -> str:
        totals = self.totals()
        out: list[str] = []
        skipped: list[str] = []
        _requests(out, totals, skipped)
        _histogram(out, totals, self._bounds, skipped)
        out.append(f"# HELP {IN_FLIGHT} Requests being served now.")
        out.append(f"# TYPE {IN_FLIGHT} gauge")
        out.append(f"{IN_FLIGHT} {_num(max(totals.get(IN_FLIGHT, 0.0), 0.0))}")
        _process(out, self.run_dir)
        _skipped(out, skipped)
        return "\n".join(out) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(value: float) -> str:
    if value == math.inf:
        return "+Inf"
    return repr(int(value)) if value.is_integer() else repr(value)


def _requests(out: list[str], totals: dict[str, float], skipped: list[str]) -> None:
    out.append(f"# HELP {REQUESTS} HTTP requests served, by method, route template and status.")
    out.append(f"# TYPE {REQUESTS} counter")
    prefix = REQUESTS + SEP
    for key in sorted(k for k in totals if k.startswith(prefix)):
        try:
            method, route, status = labels_of(key, prefix, 3)
        except ValueError:
            skipped.append(key)
            continue
        out.append(
            f'{REQUESTS}{{method="{_escape(method)}",route="{_escape(route)}",'
            f'status="{_escape(status)}"}} {_num(totals[key])}'
        )


def _histogram(
    out: list[str], totals: dict[str, float], bounds: tuple[float, ...], skipped: list[str]
) -> None:
    out.append(f"# HELP {DURATION} Time to serve a request, by method and route template.")
    out.append(f"# TYPE {DURATION} histogram")
    prefix = DURATION + SEP
    series: dict[tuple[str, str], list[float]] = {}
    sums: dict[tuple[str, str], float] = {}
    for key, value in totals.items():
        try:
            if key.startswith(prefix):
                method, route, index = labels_of(key, prefix, 3)
                series.setdefault((method, route), [0.0] * (len(bounds) + 1))[int(index)] += value
            elif key.startswith(DURATION + "_sum" + SEP):
                method, route = labels_of(key, DURATION + "_sum" + SEP, 2)
                sums[(method, route)] = sums.get((method, route), 0.0) + value
        except (ValueError, IndexError):
            skipped.append(key)
    for method, route in sorted(series):
        tags = f'method="{_escape(method)}",route="{_escape(route)}"'
        running = 0.0
        for bound, count in zip((*bounds, math.inf), series[(method, route)], strict=True):
            running += count
            out.append(f'{DURATION}_bucket{{{tags},le="{_num(bound)}"}} {_num(running)}')
        out.append(f"{DURATION}_sum{{{tags}}} {sums.get((method, route), 0.0)!r}")
        out.append(f"{DURATION}_count{{{tags}}} {_num(running)}")


def _skipped(out: list[str], skipped: list[str]) -> None:
    """Entries no exposition can show (a malformed key in an old archive): counted, logged once."""
    global _skip_logged
    name = "aloft_metrics_skipped_entries"
    out.append(f"# HELP {name} Stored metric entries skipped as malformed.")
    out.append(f"# TYPE {name} gauge")
    out.append(f"{name} {len(skipped)}")
    if skipped and not _skip_logged:
        _skip_logged = True
        log.warning(
            "metrics: skipped %d malformed entries in the metrics files",
            len(skipped),
            extra={"example": skipped[0][:200]},
        )


_skip_logged = False


def _server_pids(run_dir: str | None) -> list[int]:
    pids = [os.getpid()]
    if run_dir is None:
        return pids
    pids = []
    master = os.environ.get("_ALOFT_MASTER_PID")
    if master and master.isdigit():
        pids.append(int(master))
    for name in os.listdir(run_dir):
        if name.startswith("worker-") and name.endswith(".db"):
            pid = name[len("worker-") : -len(".db")]
            if pid.isdigit():
                pids.append(int(pid))
    return pids


_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _process(out: list[str], run_dir: str | None) -> None:
    """Process metrics summed over the server's live processes (master and workers)."""
    cpu = rss = 0.0
    fds = 0
    start = time.time()
    boot = _boot_time()
    for pid in _server_pids(run_dir):
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{pid}/statm", "rb") as fh:
                rss += int(fh.read().split()[1]) * _PAGE
            fds += len(os.listdir(f"/proc/{pid}/fd"))
        except (OSError, IndexError, ValueError):
            continue  # exited between listing and reading
        cpu += (int(fields[11]) + int(fields[12])) / _TICKS
        start = min(start, boot + int(fields[19]) / _TICKS)
    for name, kind, help_text, value in (
        ("process_cpu_seconds_total", "counter", "CPU time of the server's live processes.", cpu),
        (
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory of the server's processes.",
            rss,
        ),
        ("process_open_fds", "gauge", "Open file descriptors of the server's processes.", fds),
        (
            "process_start_time_seconds",
            "gauge",
            "Start of the oldest server process (Unix time).",
            start,
        ),
    ):
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} {kind}")
        out.append(f"{name} {_num(float(value))}")


def _boot_time() -> float:
    try:
        with open("/proc/stat", "rb") as fh:
            for line in fh:
                if line.startswith(b"btime"):
                    return float(line.split()[1])
    except OSError:
        pass
    return 0.0


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
