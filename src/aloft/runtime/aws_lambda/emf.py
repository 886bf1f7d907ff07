"""CloudWatch Embedded Metric Format: metrics as JSON log fields, no API call, no latency.

CloudWatch Logs turns each request's line into the same request count and duration the runtime
exposes at /metrics elsewhere (http_requests_total, http_request_duration_seconds), by service,
route, method and status code. The metrics ride on the access line itself (one write per
request); when no access line is written (access log off, or an unsampled request), they get a
line of their own. The fixed part is rendered once per namespace: this runs on every request.

The app's own metrics (`metrics.counter(...)` and the like) go out after each invocation, in
lines of their own, when any changed.
"""

from __future__ import annotations

import json
import sys
import time

_directives: dict[str, str] = {}
_encode = json.encoder.encode_basestring


def _directive(namespace: str) -> str:
    return json.dumps(
        {
            "Namespace": namespace,
            "Dimensions": [["service", "route", "method", "status_code"]],
            "Metrics": [
                {"Name": "http_requests_total", "Unit": "Count"},
                {"Name": "http_request_duration_seconds", "Unit": "Seconds"},
            ],
        },
        separators=(",", ":"),
    )


def fields(namespace: str, status: int, seconds: float) -> str:
    """The EMF members to add to an access line (which already has service, route, method)."""
    directive = _directives.get(namespace)
    if directive is None:
        directive = _directives[namespace] = _directive(namespace)
    return (
        f',"status_code":"{status}","http_requests_total":1,'
        f'"http_request_duration_seconds":{seconds:.6f},'
        f'"_aws":{{"Timestamp":{int(time.time() * 1000)},"CloudWatchMetrics":[{directive}]}}'
    )


def request_line(
    namespace: str, service: str, method: str, route: str, status: int, seconds: float
) -> str:
    """A line of its own, for requests whose access line is not written."""
    return (
        f'{{"service":{_encode(service)},"route":{_encode(route)},"method":{_encode(method)}'
        + fields(namespace, status, seconds)
        + "}\n"
    )


# -- the app's own metrics (aloft.runtime.metrics.counter & co.) ------------------------------

_APP = "aloft.runtime.metrics.app"
# The embedded metric format's limits: metrics per directive, values per metric, the size of a
# value (CloudWatch's; NaN and infinities are not numbers to it, nor to JSON).
MAX_METRICS = 100
MAX_VALUES = 100
MAX_VALUE = 2.0**360  # 2.35e108
_warned: set[str] = set()


def app_lines(namespace: str, service: str) -> str:
    """EMF lines of the app metrics that changed since the last call: a counter's increase, a
    gauge's new value, a histogram's observations. One line per set of label values (EMF
    takes a dimension's value from the line's own member); nothing when none changed."""
    app = sys.modules.get(_APP)
    if app is None:
        return ""  # the app defined no metrics: nothing was imported, nothing to do
    changed = app.drain()
    if not changed:
        return ""
    groups: dict[tuple[tuple[str, str], ...], list[tuple[str, str, float | list[float]]]] = {}
    for definition, values, value in changed:
        dims = tuple(zip(definition.labels, values, strict=True))
        unit = _unit(definition.name, definition.kind)
        if isinstance(value, list):
            kept = [v for v in value if -MAX_VALUE <= v <= MAX_VALUE]
            if len(kept) != len(value):
                _unsendable(definition.name)
            for at in range(0, len(kept), MAX_VALUES):
                groups.setdefault(dims, []).append(
                    (definition.name, unit, kept[at : at + MAX_VALUES])
                )
        elif -MAX_VALUE <= value <= MAX_VALUE:
            groups.setdefault(dims, []).append((definition.name, unit, value))
        else:
            _unsendable(definition.name)
    stamp = int(time.time() * 1000)
    out = []
    for dims, members in groups.items():
        pending = members
        base: dict[str, object] = {"service": service} if service else {}
        base.update((name, _dimension(value)) for name, value in dims)
        keys = [*base]
        while pending:
            doc = dict(base)
            later: list[tuple[str, str, float | list[float]]] = []
            metrics: list[dict[str, str]] = []
            for name, unit, value in pending:
                if name in doc or len(metrics) == MAX_METRICS:
                    later.append((name, unit, value))  # the next line: one value per member
                    continue
                doc[name] = value
                metrics.append({"Name": name, "Unit": unit})
            doc["_aws"] = {
                "Timestamp": stamp,
                "CloudWatchMetrics": [
                    {"Namespace": namespace, "Dimensions": [keys], "Metrics": metrics}
                ],
            }
            out.append(json.dumps(doc, separators=(",", ":"), allow_nan=False) + "\n")
            pending = later
    return "".join(out)


def _unsendable(name: str) -> None:
    """A value CloudWatch cannot take is left out of the line, and said once per metric."""
    if name not in _warned:
        _warned.add(name)
        import logging

        logging.getLogger("aloft.metrics").warning(
            "metrics: %s has a value CloudWatch cannot take (NaN, infinite or beyond 2.3e108);"
            " such values are left out of its EMF lines",
            name,
            extra={"metric": name},
        )


def _unit(name: str, kind: str) -> str:
    """CloudWatch's unit from the Prometheus name's unit suffix."""
    base = name.removesuffix("_total")
    for suffix, unit in (
        ("_seconds", "Seconds"),
        ("_milliseconds", "Milliseconds"),
        ("_bytes", "Bytes"),
    ):
        if base.endswith(suffix):
            return unit
    return "Count" if kind == "counter" else "None"


def _dimension(value: str) -> str:
    """A dimension value is ASCII for CloudWatch: other characters as visible escapes."""
    return value if value.isascii() else value.encode("ascii", "backslashreplace").decode()


def flush(namespace: str, service: str) -> None:
    """After an invocation: its app metrics out, in one write. A fault here is logged, never
    the invocation's: the app's work is done by now."""
    try:
        lines = app_lines(namespace, service)
    except Exception:
        import logging

        logging.getLogger("aloft.lambda").exception("could not write the app's metrics as EMF")
        return
    if lines:
        from aloft.runtime import logs

        logs.write(lines)
