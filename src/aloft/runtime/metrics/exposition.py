"""The Prometheus text exposition format (0.0.4) of what the store holds, for /metrics: the
request metrics, the app's own metrics, the process metrics.

Imported on the first scrape only: serving requests never needs it.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Sequence

from aloft.runtime.metrics import process
from aloft.runtime.metrics.red import DURATION, IN_FLIGHT, REQUESTS, Metrics, add_up
from aloft.runtime.metrics.store import SEP, labels_of

log = logging.getLogger("aloft.metrics")


def render(metrics: Metrics) -> str:
    snapshots = metrics.snapshots()
    totals = add_up(snapshots)
    out: list[str] = []
    skipped: list[str] = []
    _requests(out, totals, skipped)
    _histogram(out, totals, metrics.bounds, skipped)
    out.append(f"# HELP {IN_FLIGHT} Requests being served now.")
    out.append(f"# TYPE {IN_FLIGHT} gauge")
    out.append(f"{IN_FLIGHT} {num(max(totals.get(IN_FLIGHT, 0.0), 0.0))}")
    # The app's own metrics: defined in this process, or by any worker (their "#" keys).
    if "aloft.runtime.metrics.app" in sys.modules or any(k.startswith("#") for k in totals):
        lines, unexplained = _app_families(snapshots)
        out.extend(lines)
        skipped.extend(unexplained)
    for name, kind, text, value in process.families(metrics.run_dir):
        out.append(f"# HELP {name} {text}")
        out.append(f"# TYPE {name} {kind}")
        out.append(f"{name} {num(float(value))}")
    _skipped(out, skipped)
    return "\n".join(out) + "\n"


def escape(value: str) -> str:
    """A label value as the text format quotes it."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def help_text(value: str) -> str:
    """A HELP docstring: backslash and line feed escaped, quotes kept."""
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def num(value: float) -> str:
    if value == math.inf:
        return "+Inf"
    if value == -math.inf:
        return "-Inf"
    if math.isnan(value):
        return "NaN"
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
            f'{REQUESTS}{{method="{escape(method)}",route="{escape(route)}",'
            f'status="{escape(status)}"}} {num(totals[key])}'
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
        tags = f'method="{escape(method)}",route="{escape(route)}"'
        running = 0.0
        for bound, count in zip((*bounds, math.inf), series[(method, route)], strict=True):
            running += count
            out.append(f'{DURATION}_bucket{{{tags},le="{num(bound)}"}} {num(running)}')
        out.append(f"{DURATION}_sum{{{tags}}} {sums.get((method, route), 0.0)!r}")
        out.append(f"{DURATION}_count{{{tags}}} {num(running)}")


def _app_families(files: list[dict[str, float]]) -> tuple[list[str], list[str]]:
    """Text-format lines of every app metric (this process's definitions and the files'),
    and the keys no definition explains (skipped)."""
    from aloft.runtime.metrics import app

    values, found = app.merge(files)
    known: dict[str, app.Definition] = {m.name: m.definition for m in app.defined()}
    for definition in found:
        known.setdefault(definition.name, definition)
    by_metric: dict[str, list[tuple[str, list[str], float]]] = {}
    skipped: list[str] = []
    for key, value in values.items():
        parsed = app.parse(key)
        of = known.get(parsed[1]) if parsed is not None else None
        if parsed is None or of is None:
            skipped.append(key)
            continue
        kind, name, labels = parsed
        letters = ("b", "u") if of.kind == "histogram" else (of.letter,)
        width = len(of.labels) + (1 if kind == "b" else 0)
        if kind not in letters or len(labels) != width:
            skipped.append(key)
            continue
        by_metric.setdefault(name, []).append((kind, labels, value))
    out: list[str] = []
    for name in sorted(known):
        definition = known[name]
        kind = definition.kind
        out.append(f"# HELP {name} {help_text(definition.help)}")
        out.append(f"# TYPE {name} {kind}")
        series = by_metric.get(name, [])
        names = definition.labels
        buckets = len(definition.buckets) + 1

        def tags(values: Sequence[str], extra: str = "", names: Sequence[str] = names) -> str:
            pairs = [f'{n}="{escape(v)}"' for n, v in zip(names, values, strict=False)]
            if extra:
                pairs.append(extra)
            return "{" + ",".join(pairs) + "}" if pairs else ""

        if kind != "histogram":
            if not names and not series:
                series = [(definition.letter, [], 0.0)]  # an unlabelled metric shows its zero
            for _, labels, value in sorted(series, key=lambda s: s[1]):
                out.append(f"{name}{tags(labels)} {num(value)}")
            continue
        counts: dict[tuple[str, ...], list[float]] = {}
        sums: dict[tuple[str, ...], float] = {}
        if not names:
            counts[()] = [0.0] * buckets
        for letter, labels, value in series:
            if letter == "u":
                sums[tuple(labels)] = value
                counts.setdefault(tuple(labels), [0.0] * buckets)
            else:
                row = counts.setdefault(tuple(labels[:-1]), [0.0] * buckets)
                index = int(labels[-1]) if labels[-1].isdigit() else buckets
                if index < buckets:
                    row[index] += value
                else:
                    skipped.append(f"#b{name}")
        bounds = (*definition.buckets, math.inf)
        for labels_key in sorted(counts):
            running = 0.0
            for bound, count in zip(bounds, counts[labels_key], strict=True):
                running += count
                le = 'le="' + num(bound) + '"'
                out.append(f"{name}_bucket{tags(labels_key, le)} {num(running)}")
            out.append(f"{name}_sum{tags(labels_key)} {num(sums.get(labels_key, 0.0))}")
            out.append(f"{name}_count{tags(labels_key)} {num(running)}")
    return out, skipped


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
