"""Structured logs: one JSON object per line on stdout, for the app, the server and aloft alike.

On a terminal (ALOFT_LOG_FORMAT auto, the default, or console) the same lines are written for a
person instead: time, coloured level, logger, message and the fields that matter.

Every line carries the service and, inside a request, the request, trace and span ids. Secret
values are scrubbed from every line. With sampling, an unsampled request's debug/info lines are
held back; if the request then logs a warning or error, the held lines are written first, so a
request's story is kept whole or not at all.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
import time

from aloft.runtime import redact, tracing

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

# LogRecord attributes that are not user-supplied `extra` fields.
_RESERVED = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys()
    | {"message", "asctime", "taskName", "color_message"}  # uvicorn's terminal-coloured copy
)
# Held-back lines per unsampled request, at most; beyond it the oldest are dropped.
_BUFFER_LIMIT = 200

_buffer: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "aloft_log_buffer", default=None
)


class _Clock:
    """RFC 3339 UTC timestamps with milliseconds; the formatted second is reused within a second."""

    __slots__ = ("prefix", "second")

    def __init__(self) -> None:
        self.second = -1
        self.prefix = ""

    def stamp(self, t: float) -> str:
        second = int(t)
        if second != self.second:
            self.second = second
            self.prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self.prefix}.{int((t - second) * 1000):03d}Z"


_clock = _Clock()
# Levels whose lines are also scanned for credentials nobody registered (see redact_shapes).
_SHAPE_SCANNED = frozenset(("warning", "error", "critical"))
_service = ""
_service_field = ""
_handler: StdoutHandler | None = None
_console = False  # console lines instead of JSON (configure: ALOFT_LOG_FORMAT)
_color = False


# -- the chain ----------------------------------------------------------------------------------
#
# A line is made in steps, structlog-style: the record's own fields (time, level, logger,
# message), then the ENRICH processors in order (each takes the fields dict and returns it, a new
# field is one more function), then the record's extras and exception, then the renderer (JSON,
# or console on a terminal), then scrubbing of secrets. StdoutHandler then samples (holds an
# unsampled request's lines back) and emits the line with one write(2).


def add_service(fields: dict[str, Any]) -> dict[str, Any]:
    if _service:
        fields["service"] = _service
    return fields


def add_request_ids(fields: dict[str, Any]) -> dict[str, Any]:
    ctx = tracing.current.get()
    if ctx is not None:
        fields["request_id"] = ctx.request_id
        ids = tracing.active_ids()
        fields["trace_id"], fields["span_id"] = ids if ids else (ctx.trace_id, ctx.span_id)
    return fields


# What every record's line carries beyond its own fields, in this order.
ENRICH: list[Callable[[dict[str, Any]], dict[str, Any]]] = [add_service, add_request_ids]


def add_processor(processor: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Add a field (or change one) on every record's line: `processor` takes the fields dict
    and returns it. It runs after aloft's own (service, ids) and before the record's extras."""
    ENRICH.append(processor)


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields of a record's line, before rendering."""
    fields: dict[str, Any] = {
        "time": _clock.stamp(record.created),
        "level": record.levelname.lower(),
        "logger": record.name,
        "message": record.getMessage(),
    }
    for processor in ENRICH:
        fields = processor(fields)
    for key, value in record.__dict__.items():
        if key not in _RESERVED and not key.startswith("_"):
            fields[key] = value
    if record.exc_info:
        import traceback  # only when there is one to format

        fields["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
    elif record.exc_text:
        fields["exception"] = record.exc_text
    if record.stack_info:
        fields["stack"] = record.stack_info
    return fields


def json_line(fields: dict[str, Any]) -> str:
    """One JSON object, on one line."""
    try:
        return _dumps(fields) + "\n"
    except (ValueError, TypeError):
        # NaN or an infinity (bare `NaN` is not JSON: strict parsers drop the line), a cycle,
        # or a key JSON has no spelling for.
        return _dumps(_strict(fields, 0)) + "\n"


def console_line(fields: dict[str, Any]) -> str:
    from aloft.runtime.console import render_console  # imported once console is configured

    return render_console(fields, _color) + "\n"


def scrub(line: str, level: object) -> str:
    """`line` with registered secrets masked, and on warnings and errors credentials of a known
    shape too (see redact.redact_shapes): the same for every renderer."""
    if redact.has_secrets():
        line = redact.redact(line)
    if level in _SHAPE_SCANNED:
        line = redact.redact_shapes(line)
    return line


def render(fields: dict[str, Any]) -> str:
    """A line of this process's format, with secrets scrubbed: shared by records and the
    access-log fast path."""
    return scrub(_renderer(fields), fields.get("level"))


def _dumps(fields: dict[str, Any]) -> str:
    return json.dumps(
        fields, default=str, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )


def _strict(value: Any, depth: int) -> Any:
    """`value` with every non-finite float as null, and anything nested too deep as a string."""
    if isinstance(value, float):
        return value if value - value == 0.0 else None  # inf - inf and nan - nan are nan
    if depth > 20:
        return str(value)
    if isinstance(value, dict):
        return {str(k): _strict(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v, depth + 1) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """A record as the line this process writes (JSON unless configured for a terminal)."""

    def format(self, record: logging.LogRecord) -> str:
        fields = record_fields(record)
        return scrub(_renderer(fields), fields["level"])


_renderer: Callable[[dict[str, Any]], str] = json_line


class StdoutHandler(logging.Handler):
    """Writes whole lines with one write(2) each, so lines from several workers never interleave."""

    def __init__(self, fd: int = 1) -> None:
        super().__init__()
        self.fd = fd
        self.setFormatter(JsonFormatter())  # in this process's format (configure())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        held = _buffer.get()
        if held is not None:
            if record.levelno < logging.WARNING:
                if len(held) >= _BUFFER_LIMIT:
                    del held[0]
                held.append(line)
                return
            # The request turned interesting: keep everything it logged, in order.
            _buffer.set(None)
            line = "".join(held) + line
        write(line, self.fd)


def write(line: str, fd: int = 1) -> None:
    data = line.encode("utf-8", "replace")
    try:
        while data:
            written = os.write(fd, data)
            data = data[written:]
    except OSError:
        pass  # stdout gone (a closed pipe): logging must never take the service down


def begin_request(sampled: bool) -> contextvars.Token[list[str] | None] | None:
    """Start holding back this request's debug/info lines when it is not sampled."""
    if sampled:
        return None
    return _buffer.set([])


def held_lines() -> list[str] | None:
    """What this unsampled request kept back so far (None once written, or when sampled)."""
    return _buffer.get()


def end_request(token: contextvars.Token[list[str] | None] | None) -> None:
    if token is not None:
        _buffer.reset(token)


_access = logging.getLogger("aloft.access")


_encode = json.encoder.encode_basestring  # C-accelerated string quoting


# The access line: one %-format (a single C call) of preformatted pieces, in the same fields,
# order and format as a record through JsonFormatter with those extras.
_ACCESS = (
    '{"time":"%s.%03dZ","level":"%s","logger":"aloft.access","message":"request"%s%s,'
    '"method":%s,"path":%s,"route":%s,"status":%d,"duration_ms":%d.%03d%s}\n'
)
_INFO, _ERROR = logging.INFO, logging.ERROR


def access(
    method: str,
    path: str,
    route: str,
    status: int,
    seconds: float,
    tail: str = "",
    ctx: tracing.RequestContext | None = None,
) -> bool:
    """The per-request access line, formatted by hand: it is on every request's path.

    `tail` adds preformatted members (",\"key\":value..."); `ctx` saves looking the request's
    ids up again. Returns whether a line was written.
    """
    held = _buffer.get()
    line = access_line(method, path, route, status, seconds, tail, ctx, held, time.time())
    if line is None:
        return False
    if held:
        _buffer.set(None)  # written with this line
    write(line, _handler.fd if _handler is not None else 1)
    return True


def access_line(
    method: str,
    path: str,
    route: str,
    status: int,
    seconds: float,
    tail: str,
    ctx: tracing.RequestContext | None,
    held: list[str] | None,
    now: float,
    *,
    traced: bool | None = None,
) -> str | None:
    """The access line (after `held`, the lines an unsampled request kept back), or None when
    none is due. The request's context is passed in: this may run after the request is over."""
    error = status >= 500
    if not _access.isEnabledFor(_ERROR if error else _INFO):
        return None
    if held is not None and not error:
        return None  # unsampled request that went fine
    if ctx is None:
        ctx = tracing.current.get()
    if _console:
        line = _console_access(method, path, route, status, seconds, tail, ctx, now, traced)
        return "".join(held) + line if held else line
    if ctx is None:
        ids = ""
    else:
        # `traced` False: the caller knows OpenTelemetry is not in use, no need to ask again.
        active = tracing.active_ids() if traced is not False else None
        trace_id, span_id = active if active else (ctx.trace_id, ctx.span_id)
        ids = (
            f',"request_id":{_encode(ctx.request_id)},"trace_id":"{trace_id}","span_id":"{span_id}"'
        )
    second = int(now)
    if second != _clock.second:
        _clock.stamp(now)
    micros = int(seconds * 1_000_000 + 0.5)  # integers format faster than a float's repr
    line = _ACCESS % (
        _clock.prefix,
        int((now - second) * 1000),
        "error" if error else "info",
        _service_field,
        ids,
        _encode(method),
        _encode(path),
        _encode(route),
        status,
        micros // 1000,
        micros % 1000,
        tail,
    )
    if redact.has_secrets():
        line = redact.redact(line)
    return "".join(held) + line if held else line


def _console_access(
    method: str,
    path: str,
    route: str,
    status: int,
    seconds: float,
    tail: str,
    ctx: tracing.RequestContext | None,
    now: float,
    traced: bool | None,
) -> str:
    """The access line through the chain, for a terminal (no hurry there)."""
    fields: dict[str, Any] = {
        "time": _clock.stamp(now),
        "level": "error" if status >= 500 else "info",
        "logger": "aloft.access",
        "message": "request",
    }
    add_service(fields)
    if ctx is not None:
        active = tracing.active_ids() if traced is not False else None
        fields["request_id"] = ctx.request_id
        fields["trace_id"], fields["span_id"] = active if active else (ctx.trace_id, ctx.span_id)
    fields.update(method=method, path=path, route=route, status=status)
    fields["duration_ms"] = round(seconds * 1000, 3)
    if tail:
        fields.update(json.loads("{" + tail[1:] + "}"))  # preformatted members: ,"k":v...
    return render(fields)


def output_fd() -> int:
    return _handler.fd if _handler is not None else 1


def configure(service: str, level: str = "info", log_format: str = "json") -> None:
    """Route every logger (app, server, aloft) through one handler on stdout, writing JSON lines
    or, with `log_format` console (or auto on a terminal), lines for a person to read."""
    global _service, _service_field, _handler, _console, _color, _renderer
    _service = service
    _service_field = f',"service":{_encode(service)}' if service else ""
    from aloft.runtime import console

    _console = console.use_console(log_format)
    _color = _console and console.use_color()
    _renderer = console_line if _console else json_line
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    _handler = StdoutHandler()
    root.addHandler(_handler)
    root.setLevel(level.upper())
    for name in ("gunicorn", "gunicorn.error", "uvicorn", "uvicorn.error", "django", "flask.app"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # The servers' own access logs are replaced by aloft's (which knows the route and ids).
    for name in ("gunicorn.access", "uvicorn.access", "werkzeug"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = False
        logger.disabled = True
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught


def _log_uncaught(exc_type: Any, exc: Any, tb: Any) -> None:
    logging.getLogger("aloft").critical("uncaught exception", exc_info=(exc_type, exc, tb))
