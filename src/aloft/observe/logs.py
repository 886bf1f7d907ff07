"""Log lines from any target as one stream: parsed, filtered and shown the same way.

The targets (kube/logs.py, serverless/logs.py) yield `LogLine`s in time order; this module
turns `--since`, `--level` and `--request-id` into one `LogFilter`, and renders a line for a
person (`pretty`) or for a program (`as_json`). A line that is not a JSON object passes through
as text: a crash before logging started is exactly what one looks for.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
import time
from typing import Any, NamedTuple

from aloft.exceptions import ConfigError

LEVELS = ("debug", "info", "warning", "error", "critical")
# Other spellings of the same levels, as other loggers and Lambda's own JSON lines write them.
_LEVEL_ALIASES = {"warn": "warning", "fatal": "critical", "trace": "debug", "notset": "debug"}
_SINCE = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h|d)$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Lambda's own text lines name the request: "START RequestId: <id> Version: 3".
_LAMBDA_REQUEST = re.compile(r"\bRequestId: ([0-9A-Za-z-]+)")
# Lambda's own text lines about each invocation and environment: info, for --level.
_PLATFORM = re.compile(
    r"^(START|END|REPORT|INIT_START|INIT_REPORT|RESTORE_START|RESTORE_REPORT)( |$)"
)
# Fields every line of one service carries alike: left out of pretty output (kept in -o json).
_NOISE = frozenset({"service", "trace_id", "span_id"})


class LogLine(NamedTuple):
    """One line as a target delivers it: when the platform received it, who wrote it, the text."""

    time: float  # epoch seconds, from the platform (the kubelet's or CloudWatch's timestamp)
    source: str  # shown before the line: a pod name, or a function and its log stream
    text: str
    origin: dict[str, str]  # added to JSON output, e.g. {"pod": ...} or {"function", "stream"}


def parse_since(text: str, now: float | None = None) -> float:
    """`--since 10m|1h|30s|2d` or an RFC 3339 time, as epoch seconds."""
    now = time.time() if now is None else now
    match = _SINCE.match(text.strip())
    if match:
        return now - float(match.group(1)) * _UNIT[match.group(2)]
    try:
        moment = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"--since {text}: not a duration or a time; use e.g. 10m, 1h, 2d or"
            " 2026-12-05T16:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise ConfigError(f"--since {text}: a time needs its offset; add Z for UTC, e.g. {text}Z")
    return moment.timestamp()


def parse_level(text: str) -> str:
    level = _LEVEL_ALIASES.get(text.lower(), text.lower())
    if level not in LEVELS:
        raise ConfigError(f"--level {text}: not a level; use one of {', '.join(LEVELS)}")
    return level


def fields_of(text: str) -> dict[str, Any] | None:
    """The line's JSON object, or None for a line that is not one."""
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _level(fields: dict[str, Any]) -> str | None:
    raw = fields.get("level")
    if not isinstance(raw, str):
        return None
    return _LEVEL_ALIASES.get(raw.lower(), raw.lower())


def request_ids(fields: dict[str, Any] | None, text: str) -> set[str]:
    """Every request id a line carries: aloft's `request_id`, Lambda's `requestId` (also inside
    a platform record) and the `RequestId:` of Lambda's START/END/REPORT text lines."""
    found: set[str] = set()
    if fields is not None:
        for key in ("request_id", "requestId", "aws_request_id"):
            value = fields.get(key)
            if isinstance(value, str):
                found.add(value)
        record = fields.get("record")
        if isinstance(record, dict) and isinstance(record.get("requestId"), str):
            found.add(record["requestId"])
    else:
        found.update(_LAMBDA_REQUEST.findall(text))
    return found


@dataclasses.dataclass(frozen=True)
class LogFilter:
    since: float | None = None
    level: str | None = None  # keep this level and above
    request_id: str | None = None

    def keeps(self, line: LogLine, fields: dict[str, Any] | None) -> bool:
        if self.since is not None and line.time < self.since:
            return False
        if self.request_id is not None and self.request_id not in request_ids(fields, line.text):
            return False
        if self.level is not None:
            if fields is not None:
                # A JSON line without a level is not the app's log record (e.g. a platform
                # report): a level filter leaves it out.
                level = _level(fields)
            elif _PLATFORM.match(line.text):
                level = "info"
            else:
                return True  # other text (a traceback before logging started) passes
            if level not in LEVELS or LEVELS.index(level) < LEVELS.index(self.level):
                return False
        return True


def iso(t: float) -> str:
    moment = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def as_json(line: LogLine, fields: dict[str, Any] | None) -> str:
    """One JSON object: the app's own fields passed through, plus where the line came from;
    a text line becomes its message, with the platform's time."""
    record = dict(fields) if fields is not None else {"time": iso(line.time), "message": line.text}
    record.update(line.origin)
    return json.dumps(record, ensure_ascii=False, default=str)


_CYAN, _RESET = "\x1b[36m", "\x1b[0m"


def pretty(line: LogLine, fields: dict[str, Any] | None, color: bool) -> str:
    """`source | HH:MM:SS.mmm LEVEL logger message key=value ...` for a person reading along."""
    source = f"{_CYAN}{line.source}{_RESET}" if color else line.source
    if fields is None:
        return f"{source} | {line.text}"
    return f"{source} | {_pretty(fields, color, line.time)}"


def _pretty(fields: dict[str, Any], color: bool, fallback_time: float | None = None) -> str:
    """One record as a console line, by the runtime's own console renderer (what `aloft run`
    prints on a terminal): one builder of that line. Lambda's lines name their level and time in
    their own ways; they are read here first."""
    from aloft.runtime.console import render_console

    shown = {k: v for k, v in fields.items() if k not in _NOISE}
    if not isinstance(shown.get("time"), str) and fallback_time is not None:
        shown["time"] = iso(fallback_time)
    level = _level(fields)
    if level:
        shown["level"] = level
    return render_console(shown, color)
