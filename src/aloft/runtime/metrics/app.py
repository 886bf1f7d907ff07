"""Application metrics: the counters, gauges and histograms an app defines for itself.

    from aloft.runtime import metrics
    orders = metrics.counter("orders_total", "Orders placed", labels=("kind",))
    orders.labels(kind="gift").inc()

They live in the same per-worker store as the request metrics, so /metrics sums them over the
pre-forked workers, a dead worker's counters survive in the archive, and an increment is one
struct store. Each key starts with "#" (no metric name can) and a letter for its kind:

    #c name SEP values...          a counter
    #s / #x / #n name SEP values   a gauge summed / the max / the min over live workers
    #l / #t name SEP values        a gauge's latest value / the time it was set
    #b name SEP values SEP i       a histogram's bucket i;  #u ... its sum
    #d {definition as JSON}        what the metric is, so any worker can expose any metric

Label sets are bounded per metric (`max_series`, 100 by default): past it, a new combination
is counted in one series whose every label is "_other", with one warning, the way the request
metrics fold routes past their cap. Totals stay right; only the split is lost.
"""

from __future__ import annotations

import bisect
import json
import logging
import math
import os
import re
import threading
import time

from aloft.runtime import metrics as _metrics
from aloft.runtime.metrics.red import BUCKETS
from aloft.runtime.metrics.store import SEP, Admission, Store, label, labels_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

log = logging.getLogger("aloft.metrics")

GAUGE_MODES = {"sum": "s", "max": "x", "min": "n", "latest": "l"}
DEFAULT_MAX_SERIES = 100
OTHER = "_other"
# CloudWatch takes at most 30 dimensions per metric, and one of them is the service.
MAX_LABELS = 29
MAX_LABEL_VALUE = 1024
MAX_LABEL_NAME = 250  # CloudWatch's longest dimension name
MAX_NAME = 1024  # and metric name
# Histogram observations a process keeps for EMF between two flushes (per series); in-process
# stores only (Lambda), where a flush follows every invocation.
MAX_SAMPLES = 10_000

_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
# The runtime's own families: an app metric of the same name would make two families of one name.
_RESERVED = frozenset(
    (
        "http_requests_total",
        "http_request_duration_seconds",
        "http_requests_in_flight",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_start_time_seconds",
    )
)

_registry: dict[str, Metric] = {}
_registry_lock = threading.Lock()


class Definition:
    """What a metric is: the same in every worker, written into the store as `#d` + JSON."""

    __slots__ = ("buckets", "help", "kind", "labels", "max_series", "mode", "name")

    def __init__(
        self,
        kind: str,
        name: str,
        help: str,
        labels: tuple[str, ...],
        buckets: tuple[float, ...] = (),
        mode: str = "",
        max_series: int = DEFAULT_MAX_SERIES,
    ) -> None:
        self.kind = kind
        self.name = name
        self.help = help
        self.labels = labels
        self.buckets = buckets
        self.mode = mode
        self.max_series = max_series

    def as_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "name": self.name,
                "help": self.help,
                "labels": list(self.labels),
                "buckets": list(self.buckets),
                "mode": self.mode,
                "max_series": self.max_series,
            },
            separators=(",", ":"),
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Definition:
        raw = json.loads(text)
        return cls(
            str(raw["kind"]),
            str(raw["name"]),
            str(raw["help"]),
            tuple(str(n) for n in raw["labels"]),
            tuple(float(b) for b in raw["buckets"]),
            str(raw["mode"]),
            int(raw["max_series"]),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Definition) and self.as_json() == other.as_json()

    def __hash__(self) -> int:
        return hash(self.as_json())

    @property
    def letter(self) -> str:
        """The kind letter of the metric's value keys."""
        if self.kind == "counter":
            return "c"
        if self.kind == "gauge":
            return GAUGE_MODES[self.mode]
        return "b"


def counter(
    name: str, help: str, labels: Sequence[str] = (), *, max_series: int = DEFAULT_MAX_SERIES
) -> Metric:
    """A counter: only goes up (`inc`); summed over workers, kept across worker restarts.

    Its name ends in `_total`, as Prometheus names counters.
    """
    if isinstance(name, str) and _NAME.match(name) and not name.endswith("_total"):
        raise ValueError(
            f"metrics.counter({name!r}): a counter's name ends in _total; use {name + '_total'!r}"
        )
    return _define(Definition("counter", name, help, _labels(name, labels), (), "", max_series))


def gauge(
    name: str,
    help: str,
    labels: Sequence[str] = (),
    *,
    mode: str = "sum",
    max_series: int = DEFAULT_MAX_SERIES,
) -> Metric:
    """A gauge: `set`, `inc`, `dec`. Over the live workers /metrics shows, by `mode`, the sum,
    the max, the min, or the latest value set; a dead worker's gauges are dropped."""
    if mode not in GAUGE_MODES:
        raise ValueError(
            f"metrics.gauge({name!r}): mode {mode!r} is not one of {', '.join(GAUGE_MODES)}"
        )
    return _define(Definition("gauge", name, help, _labels(name, labels), (), mode, max_series))


def histogram(
    name: str,
    help: str,
    labels: Sequence[str] = (),
    *,
    buckets: Sequence[float] = BUCKETS,
    max_series: int = DEFAULT_MAX_SERIES,
) -> Metric:
    """A histogram: `observe(value)` counts it in the first bucket whose bound is >= value
    (and +Inf); summed over workers, kept across worker restarts."""
    names = _labels(name, labels)
    if "le" in names:
        raise ValueError(f"metrics.histogram({name!r}): label 'le' is the bucket bound's own")
    bounds = [float(b) for b in buckets]
    if bounds and bounds[-1] == math.inf:
        bounds.pop()
    if not bounds or any(not math.isfinite(b) for b in bounds) or bounds != sorted(set(bounds)):
        raise ValueError(
            f"metrics.histogram({name!r}): buckets must be finite, increasing and at least one;"
            f" got {list(buckets)!r}"
        )
    return _define(Definition("histogram", name, help, names, tuple(bounds), "", max_series))


def _labels(name: str, labels: Sequence[str]) -> tuple[str, ...]:
    if isinstance(labels, str):
        raise ValueError(f"metric {name!r}: labels is a sequence of names; use ({labels!r},)")
    names = tuple(labels)
    for each in names:
        if not isinstance(each, str) or not _LABEL.match(each) or each.startswith("__"):
            raise ValueError(
                f"metric {name!r}: {each!r} is not a label name ([a-zA-Z_][a-zA-Z0-9_]*,"
                " not starting with __)"
            )
        if each == name:
            raise ValueError(f"metric {name!r}: a label of the metric's own name")
        if len(each) > MAX_LABEL_NAME:
            raise ValueError(f"metric {name!r}: label names are at most {MAX_LABEL_NAME} long")
        if each == "service":
            raise ValueError(
                f"metric {name!r}: label 'service' is aloft's own (every metric carries the"
                " service); name yours differently"
            )
    if len(set(names)) != len(names):
        raise ValueError(f"metric {name!r}: a label name is given twice in {names!r}")
    if len(names) > MAX_LABELS:
        raise ValueError(f"metric {name!r}: at most {MAX_LABELS} labels (CloudWatch's limit)")
    return names


def _define(definition: Definition) -> Metric:
    name = definition.name
    if not isinstance(name, str) or not _NAME.match(name) or len(name) > MAX_NAME:
        raise ValueError(
            f"metric name {name!r} is not a Prometheus name ([a-zA-Z_:][a-zA-Z0-9_:]*,"
            f" at most {MAX_NAME} long)"
        )
    if name in _RESERVED or name.startswith("aloft_") or name == "service":
        raise ValueError(f"metric name {name!r} is aloft's own; choose another")
    if not isinstance(definition.help, str) or not definition.help.strip():
        raise ValueError(f"metric {name!r}: help is a sentence saying what it counts")
    if not isinstance(definition.max_series, int) or definition.max_series < 1:
        raise ValueError(f"metric {name!r}: max_series is a whole number of at least 1")
    with _registry_lock:
        existing = _registry.get(name)
        if existing is not None:
            if existing.definition == definition:
                return existing  # the same definition again (a module reloaded): one metric
            before, now = existing.definition, definition
            differs = [
                f"{field} {getattr(before, field)!r}, now {getattr(now, field)!r}"
                for field in Definition.__slots__
                if getattr(before, field) != getattr(now, field)
            ]
            raise ValueError(
                f"metric {name!r} is defined twice, differently ({'; '.join(differs)});"
                " define it once and import it"
            )
        taken = {
            sample: other for other in _registry.values() for sample in _samples(other.definition)
        }
        for sample in _samples(definition):
            if sample in taken:
                raise ValueError(
                    f"metric {name!r}: its samples named {sample} would clash with metric"
                    f" {taken[sample].name!r}'s; choose another name"
                )
        metric = _registry[name] = Metric(definition)
    return metric


def _samples(definition: Definition) -> tuple[str, ...]:
    """The sample names a metric exposes (a histogram's are three)."""
    name = definition.name
    if definition.kind == "histogram":
        return (name + "_bucket", name + "_sum", name + "_count")
    return (name,)


class Metric:
    """One metric of the app. Without labels, record on it directly; with labels, on
    `.labels(...)` (the child is worth keeping: it skips the label lookup)."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.name = definition.name
        self._names = definition.labels
        self._child_type = _CHILDREN[definition.kind]
        self._children: dict[tuple[str, ...], Child] = {}  # the series, by label values
        self._lookup: dict[tuple[object, ...], Child] = {}  # by string values: the fast path
        self._overflow: Child | None = None
        self._written: Store | None = None  # the store this process wrote the definition into
        self._lock = threading.Lock()
        self._plain = self._child_type(self, ()) if not self._names else None
        if self._plain is not None:  # record straight on the one series: a call less
            self.inc = self._plain.inc  # type: ignore[method-assign]
            self.dec = self._plain.dec  # type: ignore[method-assign]
            self.set = self._plain.set  # type: ignore[method-assign]
            self.observe = self._plain.observe  # type: ignore[method-assign]

    def labels(self, *values: object, **named: object) -> Child:
        """The series of these label values (by position or by name)."""
        if named:
            if values:
                raise ValueError(f"{self.name}: label values by position or by name, not both")
            try:
                key = tuple([named[n] for n in self._names])
            except KeyError:
                key = ()
            if len(named) != len(key) or not key:
                raise ValueError(f"{self.name}: labels are {self._names!r}; got {tuple(named)!r}")
        else:
            key = values
        child = self._lookup.get(key)
        if child is None:
            child = self._new_child(key)
        return child

    def _new_child(self, given: tuple[object, ...]) -> Child:
        if len(given) != len(self._names) or not given:
            raise ValueError(f"{self.name}: labels are {self._names!r}; got {given!r}")
        values = tuple([v if type(v) is str else str(v) for v in given])
        for value in values:
            if not value or len(value) > MAX_LABEL_VALUE:
                raise ValueError(
                    f"{self.name}: a label value is 1 to {MAX_LABEL_VALUE} characters;"
                    f" got {value[:40]!r}"
                )
        with self._lock:
            child = self._children.get(values)
            if child is None:
                if len(self._children) >= self.definition.max_series:
                    return self._other()  # not remembered: the lookup stays bounded
                child = self._children[values] = self._child_type(self, values)
            if values == given:  # only strings: 1, 1.0 and True are equal keys, unequal labels
                self._lookup[values] = child
        return child

    def _other(self) -> Child:
        """Where label sets past max_series are counted (caller holds the lock)."""
        if self._overflow is None:
            log.warning(
                "metrics: %s has more than %d label sets; further ones are counted with every"
                ' label "%s" (raise max_series, or use labels with fewer values)',
                self.name,
                self.definition.max_series,
                OTHER,
                extra={"metric": self.name, "max_series": self.definition.max_series},
            )
            self._overflow = self._child_type(self, (OTHER,) * len(self._names))
        return self._overflow

    def children(self) -> list[Child]:
        found = list(self._children.values())
        for extra in (self._plain, self._overflow):
            if extra is not None:
                found.append(extra)
        return found

    def _unlabelled(self) -> Child:
        plain = self._plain
        if plain is None:
            raise ValueError(
                f"{self.name} has labels {self._names!r}: record on"
                f" .labels({', '.join(n + '=...' for n in self._names)})"
            )
        return plain

    # Recording on a metric without labels; a kind's child lacks what the kind cannot do.
    def inc(self, amount: float = 1.0) -> None:
        self._unlabelled().inc(amount)

    def dec(self, amount: float = 1.0) -> None:
        self._unlabelled().dec(amount)

    def set(self, value: float) -> None:
        self._unlabelled().set(value)

    def observe(self, value: float) -> None:
        self._unlabelled().observe(value)

    def value(self) -> float:
        return float(self._unlabelled().value())


class Child:
    """One series: a metric and its label values, bound to this process's store on first use."""

    __slots__ = (
        "_bounds",
        "_buckets",
        "_cell",
        "_metric",
        "_store",
        "_time",
        "samples",
        "sent",
        "values",
    )
    _store: Store | None

    def __init__(self, metric: Metric, values: tuple[str, ...]) -> None:
        self._metric = metric
        self.values = values
        self._bounds = metric.definition.buckets
        self.unbind()

    def unbind(self) -> None:
        self._store = None
        self._cell = -1  # the value (counter, gauge) or the sum (histogram)
        self._time = -1  # a latest gauge's time of setting
        self._buckets: tuple[int, ...] = ()
        self.samples: list[float] | None = None  # observations since the last EMF flush
        # What the last EMF flush reported (NaN: nothing yet, so a gauge's first value goes out).
        self.sent = math.nan if self._metric.definition.kind == "gauge" else 0.0

    def _bind(self) -> Store:
        """Resolve this series' cells in this process's store (again after a fork)."""
        metric = self._metric
        definition = metric.definition
        store = _metrics.get().store
        if metric._written is not store:
            store.add("#d" + definition.as_json(), 1.0)
            metric._written = store
        tail = "".join(SEP + label(v) for v in self.values)
        name = definition.name
        if definition.kind == "histogram":
            self._buckets = tuple(
                store.cell(f"#b{name}{tail}{SEP}{i}") for i in range(len(definition.buckets) + 1)
            )
            self._cell = store.cell(f"#u{name}{tail}")
            self.samples = [] if store.path is None else None
        else:
            self._cell = store.cell(f"#{definition.letter}{name}{tail}")
            if definition.mode == "latest":
                self._time = store.cell(f"#t{name}{tail}")
        self._store = store
        if store.path is None:
            _bound.append(self)
        return store

    def value(self) -> float:
        """This process's value of the series (the sum, for a histogram)."""
        store = self._store or self._bind()
        return store.value(self._cell)

    # What a kind cannot do, said in one line (each kind's child overrides what it can).
    def _cannot(self, what: str) -> ValueError:
        definition = self._metric.definition
        return ValueError(f"{definition.name} is a {definition.kind}: it has no .{what}()")

    def inc(self, amount: float = 1.0) -> None:
        raise self._cannot("inc")

    def dec(self, amount: float = 1.0) -> None:
        raise self._cannot("dec")

    def set(self, value: float) -> None:
        raise self._cannot("set")

    def observe(self, value: float) -> None:
        raise self._cannot("observe")


class CounterChild(Child):
    __slots__ = ()

    def inc(self, amount: float = 1.0) -> None:
        if not amount >= 0:
            raise ValueError(f"{self._metric.name} is a counter: it goes up, not by {amount!r}")
        (self._store or self._bind()).add_cell(self._cell, amount)


class GaugeChild(Child):
    __slots__ = ()

    def inc(self, amount: float = 1.0) -> None:
        store = self._store or self._bind()
        store.add_cell(self._cell, amount)
        if self._time >= 0:
            store.set_cells(((self._time, time.time()),))

    def dec(self, amount: float = 1.0) -> None:
        self.inc(-amount)

    def set(self, value: float) -> None:
        store = self._store or self._bind()
        if self._time >= 0:
            store.set_cells(((self._cell, float(value)), (self._time, time.time())))
        else:
            store.set_cells(((self._cell, float(value)),))


class HistogramChild(Child):
    __slots__ = ()

    def observe(self, value: float) -> None:
        store = self._store or self._bind()
        bucket = self._buckets[bisect.bisect_left(self._bounds, value)]
        store.add_cells(((bucket, 1.0), (self._cell, value)))
        samples = self.samples
        if samples is not None and len(samples) < MAX_SAMPLES:
            samples.append(float(value))


_CHILDREN: dict[str, type[Child]] = {
    "counter": CounterChild,
    "gauge": GaugeChild,
    "histogram": HistogramChild,
}


def drain() -> list[tuple[Definition, tuple[str, ...], float | list[float]]]:
    """What changed in this process since the last call (for EMF, after each invocation):
    a counter's increase, a gauge's new value, a histogram's observations."""
    changed: list[tuple[Definition, tuple[str, ...], float | list[float]]] = []
    for child in list(_bound):
        store = child._store
        if store is None:
            continue
        definition = child._metric.definition
        if definition.kind == "histogram":
            if child.samples:
                changed.append((definition, child.values, child.samples))
                child.samples = []
            continue
        value = store.value(child._cell)
        if value != child.sent:  # a gauge's is NaN at first: its first value goes out
            delta = value - child.sent if definition.kind == "counter" else value
            changed.append((definition, child.values, delta))
            child.sent = value
    return changed


# The series this process has recorded on, for `drain` (in-process stores: Lambda).
_bound: list[Child] = []


def _forget_after_fork() -> None:
    """A forked worker has a store of its own: every series binds again on first use."""
    _bound.clear()
    for metric in list(_registry.values()):
        metric._written = None
        for child in metric.children():
            child.unbind()


os.register_at_fork(after_in_child=_forget_after_fork)


# -- reading: merging the workers' files, and what a dead worker leaves behind ----------------


def parse(key: str) -> tuple[str, str, list[str]] | None:
    """(kind letter, name, label values [+ bucket index]) of an app key; None for other keys."""
    if len(key) < 3 or key[0] != "#" or key[1] == "d":
        return None
    head, _, _ = key.partition(SEP)
    name = head[2:]
    count = key.count(SEP)
    try:
        values = labels_of(key, key[: len(head) + 1], count) if count else []
    except ValueError:
        return None
    return key[1], name, values


def merge(files: Iterable[dict[str, float]]) -> tuple[dict[str, float], list[Definition]]:
    """App keys over every file (summed, or by each gauge's mode), and the definitions found."""
    out: dict[str, float] = {}
    times: dict[str, float] = {}
    definitions: dict[str, Definition] = {}
    for values in files:
        for key, value in values.items():
            if not key.startswith("#"):
                continue
            kind = key[1:2]
            if kind == "d":
                if key not in definitions:
                    try:
                        definitions[key] = Definition.from_json(key[2:])
                    except (ValueError, KeyError, TypeError):
                        continue
            elif kind in "cbus":
                out[key] = out.get(key, 0.0) + value
            elif kind == "x":
                out[key] = max(out.get(key, -math.inf), value)
            elif kind == "n":
                out[key] = min(out.get(key, math.inf), value)
            elif kind == "l":
                when = values.get("#t" + key[2:], 0.0)
                if key not in out or when >= times[key]:
                    out[key], times[key] = value, when
    return out, list(definitions.values())


def admission(archive: dict[str, float]) -> Admission:
    """What of a dead worker's app keys the archive keeps: definitions, counters and histograms
    (gauges describe a process that is gone), within each metric's max_series."""
    caps: dict[str, int] = {}
    series: dict[str, set[tuple[str, ...]]] = {}

    def learn(key: str) -> None:
        try:
            definition = Definition.from_json(key[2:])
        except (ValueError, KeyError, TypeError):
            return
        caps[definition.name] = definition.max_series

    def series_of(parsed: tuple[str, str, list[str]]) -> tuple[str, ...]:
        kind, _, values = parsed
        return tuple(values[:-1] if kind == "b" else values)

    for key in archive:
        if key.startswith("#d"):
            learn(key)
        parsed = parse(key)
        if parsed is not None and parsed[0] in "cbu":
            series.setdefault(parsed[1], set()).add(series_of(parsed))

    def admit(key: str) -> str | None:
        if not key.startswith("#"):
            return key
        if key.startswith("#d"):
            learn(key)
            return key
        parsed = parse(key)
        if parsed is None or parsed[0] not in "cbu":
            return None  # a gauge, or malformed
        kind, name, values = parsed
        held = series.setdefault(name, set())
        one = series_of(parsed)
        if one in held or len(held) < caps.get(name, DEFAULT_MAX_SERIES):
            held.add(one)
            return key
        other = [OTHER] * len(one) + (values[-1:] if kind == "b" else [])
        return f"#{kind}{name}" + "".join(SEP + label(v) for v in other)

    return admit


def defined() -> list[Metric]:
    """Every metric this process defined."""
    return list(_registry.values())
