"""Ranges and shapes of the serve options (`[tool.aloft]` top-level keys and `ALOFT_*`).

The options are typed by the runtime's ServeOptions dataclass; types alone let through values
that pass the config and then crash or misbehave at run time (port 99999, workers -1, a drain
timeout of inf, five GC thresholds, a probe path without its slash). Each is caught here, once,
for every verb that resolves the config.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator

from aloft.runtime.options import ServeOptions

# gc.set_threshold takes at most three: generation 0, 1 and 2.
MAX_GC_THRESHOLDS = 3


def problems(serve: ServeOptions) -> Iterator[tuple[str, str]]:
    """(option, what is wrong and the fix) for every out-of-range serve option."""
    if not 0 <= serve.port <= 65535:
        yield "port", "not a TCP port; use a number up to 65535, such as 8000 (0: any free port)"
    if not 0 <= serve.admin_port <= 65535:
        yield "admin_port", "not a TCP port; use a number up to 65535, such as 8081 (0: none)"
    elif serve.admin_port and serve.admin_port == serve.port:
        yield "admin_port", "must differ from port (the app's); use e.g. 8081, or 0 for none"
    if serve.workers < 0:
        yield "workers", "must be 0 (size to the container's CPU and memory) or more"
    if serve.threads < 1:
        yield "threads", "must be at least 1"
    for name, low, inclusive in (
        ("drain_delay", 0.0, True),
        ("drain_timeout", 0.0, True),
        ("keepalive", 0.0, False),
        ("ready_timeout", 0.0, False),
    ):
        value = getattr(serve, name)
        if not math.isfinite(value):
            yield name, "must be a finite number of seconds, such as 5"
        elif value < low or (value == low and not inclusive):
            yield name, f"must be {'at least' if inclusive else 'more than'} {low:g} seconds"
    if not (math.isfinite(serve.log_sample_rate) and 0.0 <= serve.log_sample_rate <= 1.0):
        yield "log_sample_rate", "a share of requests: use a number from 0 to 1, such as 0.1"
    if len(serve.gc_thresholds) > MAX_GC_THRESHOLDS:
        yield (
            "gc_thresholds",
            f"gc.set_threshold takes at most {MAX_GC_THRESHOLDS} values; use e.g. [50000, 20, 20]",
        )
    elif any(v < 0 for v in serve.gc_thresholds):
        yield "gc_thresholds", "thresholds cannot be negative; use e.g. [50000, 20, 20]"
    for name in ("health_path", "ready_path", "metrics_path"):
        path = getattr(serve, name)
        if not path.startswith("/") or any(c.isspace() or c in "?#" for c in path):
            yield name, f'a URL path starting with "/", such as "/{path.strip("/ ") or "x"}"'
    if not serve.host.strip():
        yield "host", 'use an address to listen on, such as "0.0.0.0" or "127.0.0.1"'


def describe(serve: ServeOptions, where: Callable[[str], str]) -> list[str]:
    """One line per problem, naming where the value came from (`where(option)`), the value and
    the fix."""
    lines = []
    for name, reason in problems(serve):
        value = getattr(serve, name)
        shown = list(value) if isinstance(value, tuple) else value
        place = where(name)
        if place.startswith("environment "):
            lines.append(f"{place}: {name} = {_show(shown)}: {reason}")
        else:
            lines.append(f"{place} {name} = {_show(shown)}: {reason}")
    return lines


def _show(value: object) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # inf / nan, as TOML spells them
    return json.dumps(value)
