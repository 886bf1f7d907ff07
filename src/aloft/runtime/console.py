"""Log lines for a person at a terminal: `render_console(fields, color)` turns the fields of a
JSON log line into one readable line. The log pipeline uses it under ALOFT_LOG_FORMAT console (or
auto on a terminal); anything that shows aloft's JSON lines to a person can reuse it.
"""

from __future__ import annotations

import json
import os

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

_RESET, _DIM, _BOLD = "\x1b[0m", "\x1b[2m", "\x1b[1m"
_LEVEL_COLORS = {
    "debug": "\x1b[34m",  # blue
    "info": "\x1b[32m",  # green
    "warning": "\x1b[33m",  # yellow
    "error": "\x1b[31m",  # red
    "critical": "\x1b[1;31m",  # bold red
}
_LOGGER_COLOR = "\x1b[36m"  # cyan
# Shown first and plain, in this order; every other field follows as key=value, dimmed.
_HEAD = ("time", "level", "logger", "message")
_IMPORTANT = ("method", "path", "status", "duration_ms", "request_id")
_TRAILING = ("exception", "stack")


def render_console(fields: dict[str, Any], color: bool) -> str:
    """A log line's fields for a person at a terminal: time, level, logger, message, the
    important fields (method, path, status, duration, request id), then the rest as key=value,
    dimmed; a traceback on the lines below. No trailing newline; nothing is scrubbed here."""
    level = str(fields.get("level", ""))
    stamp = str(fields.get("time", ""))
    if len(stamp) >= 23 and stamp[10:11] == "T":
        stamp = stamp[11:23]  # HH:MM:SS.mmm: the date is the terminal's today
    shown_level = level.upper().ljust(5)
    logger = str(fields.get("logger", ""))
    if color:
        shown_level = f"{_LEVEL_COLORS.get(level, '')}{shown_level}{_RESET}"
        logger = f"{_LOGGER_COLOR}{logger}{_RESET}"
        stamp = f"{_DIM}{stamp}{_RESET}"
    parts = [stamp, shown_level, logger, str(fields.get("message", ""))]
    for key in _IMPORTANT:
        if key in fields:
            value = _console_value(fields[key])
            if key == "duration_ms":
                parts.append(f"{value}ms")
            elif key == "status" and color:
                parts.append(f"{_BOLD}{_status_color(fields[key])}{value}{_RESET}")
            elif key in ("method", "path", "status"):
                parts.append(value)
            else:
                parts.append(f"{key}={value}")
    rest = [
        f"{key}={_console_value(value)}"
        for key, value in fields.items()
        if key not in _HEAD and key not in _IMPORTANT and key not in _TRAILING
    ]
    if rest:
        parts.append(f"{_DIM}{' '.join(rest)}{_RESET}" if color else " ".join(rest))
    line = " ".join(parts)
    for key in _TRAILING:
        if fields.get(key):
            line += "\n" + str(fields[key])
    return line


def _status_color(status: Any) -> str:
    code = status if isinstance(status, int) else 0
    if code >= 500:
        return _LEVEL_COLORS["error"]
    if code >= 400:
        return _LEVEL_COLORS["warning"]
    return _LEVEL_COLORS["info"]


def _console_value(value: Any) -> str:
    if isinstance(value, str):
        if value and not any(c.isspace() or c in '"=' for c in value):
            return value
        return json.dumps(value, ensure_ascii=False)
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except (ValueError, TypeError):
        return str(value)


def use_console(log_format: str, fd: int = 1, environ: Mapping[str, str] | None = None) -> bool:
    """Whether `log_format` (auto, json or console) means console lines on `fd`: auto does on
    a terminal (under `aloft run` the server inherits it), not into a pipe or a file (as in a
    container or on Lambda), and not under CI (`CI` set), whose runners may fake a terminal
    while their logs are read by machines."""
    if log_format == "console":
        return True
    if log_format == "json":
        return False
    if (os.environ if environ is None else environ).get("CI"):
        return False
    try:
        return os.isatty(fd)
    except OSError:
        return False


def use_color(fd: int = 1, environ: Mapping[str, str] | None = None) -> bool:
    """Colour on a terminal unless NO_COLOR is set (non-empty); FORCE_COLOR (non-empty, not
    0) asks for it off a terminal too. See no-color.org and force-color.org."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    try:
        return os.isatty(fd)
    except OSError:
        return False
