"""Request ids and W3C trace context: parse what arrives, make what is missing, pass it on.

The ids live in a context variable so logs written anywhere during a request carry them, and the
app can add them to its outgoing calls with `outgoing_headers()`.
"""

from __future__ import annotations

import contextvars
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

_HEX = frozenset("0123456789abcdef")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16
# Incoming request ids are echoed into logs and headers: keep them short and printable.
_MAX_REQUEST_ID = 128


class RequestContext:
    """The ids of one server request (immutable by convention; made once per request)."""

    __slots__ = ("parent_span_id", "request_id", "sampled", "span_id", "trace_flags", "trace_id")

    def __init__(
        self,
        request_id: str,
        trace_id: str,
        span_id: str,
        parent_span_id: str,
        trace_flags: str,
        sampled: bool,
    ) -> None:
        self.request_id = request_id
        self.trace_id = trace_id
        self.span_id = span_id
        self.parent_span_id = parent_span_id
        self.trace_flags = trace_flags
        # Whether this request's debug/info logs are kept (log sampling).
        self.sampled = sampled

    def __repr__(self) -> str:
        return f"RequestContext(request_id={self.request_id!r}, traceparent={self.traceparent!r})"

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.trace_flags}"


current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "aloft_request", default=None
)


class _Ids:
    """Random ids without a system call per request (as OpenTelemetry's SDK makes them).

    A Mersenne Twister seeded from the OS, reseeded in every forked worker so no two workers
    share a sequence; ids need to be unique, not unguessable.
    """

    def __init__(self) -> None:
        self._bits: Callable[[int], int] | None = None

    def reseed(self) -> None:
        self._bits = None

    def bits(self, n: int) -> int:
        bits = self._bits
        if bits is None:
            import random  # slow to import; the first request pays, not the import of aloft

            bits = self._bits = random.Random(os.urandom(32)).getrandbits
        return bits(n)


_ids = _Ids()
os.register_at_fork(after_in_child=_ids.reseed)
# For copies made without fork (a SnapStart restore): aws_lambda/snapstart.py calls it.
reseed_ids = _ids.reseed


def new_id(nbytes: int) -> str:
    return f"{_ids.bits(nbytes * 8):0{nbytes * 2}x}"


def parse_traceparent(value: str | None) -> tuple[str, str, str] | None:
    """(trace_id, parent span id, flags) of a valid `traceparent`; None starts a new trace."""
    if not value or len(value) < 55:
        return None
    value = value.strip().lower()
    parts = value.split("-")
    if len(parts) < 4:
        return None
    version, trace_id, span_id, flags = parts[0], parts[1], parts[2], parts[3]
    if (
        len(version) != 2
        or version == "ff"
        or len(trace_id) != 32
        or len(span_id) != 16
        or len(flags) != 2
        or not _HEX.issuperset(version + trace_id + span_id + flags)
        or trace_id == _ZERO_TRACE
        or span_id == _ZERO_SPAN
        or (version == "00" and len(parts) != 4)
    ):
        return None
    return trace_id, span_id, flags


def clean_request_id(value: str | None) -> str | None:
    """An incoming X-Request-ID if it is safe to echo (short, printable ASCII), else None."""
    if not value or len(value) > _MAX_REQUEST_ID:
        return None
    if not value.isascii() or not value.isprintable() or '"' in value or "\\" in value:
        return None
    return value


def start(request_id: str | None, traceparent: str | None, sampled: bool) -> RequestContext:
    """The context of a new server request: honour the caller's ids, make the missing ones."""
    rid = clean_request_id(request_id) if request_id else None
    parsed = parse_traceparent(traceparent) if traceparent else None
    if rid is not None and parsed is not None:  # as on Lambda, or behind a traced proxy
        return RequestContext(
            rid, parsed[0], _ids.bits(64).to_bytes(8, "big").hex(), parsed[1], parsed[2], sampled
        )
    # All three ids (request, trace, span) from one draw; to_bytes().hex() is twice as fast as
    # formatting the integer with zero padding.
    fresh = _ids.bits(320).to_bytes(40, "big").hex()
    rid = rid or fresh[:32]
    if parsed is None:
        trace_id, parent, flags = fresh[32:64], "", "01"
    else:
        trace_id, parent, flags = parsed
    return RequestContext(rid, trace_id, fresh[64:80], parent, flags, sampled)


_otel_seen = False
_UNKNOWN = object()


def otel_active() -> bool:
    """Whether the app traces with OpenTelemetry, so its spans, not ours, name the request.

    Importing the API is not using it: FastAPI, for one, imports `opentelemetry.trace` in every
    app. Only a configured SDK tracer provider records spans; until there is one, the API hands
    out the caller's context unchanged, which our ids already follow. Once seen, a provider
    stays (OpenTelemetry does not allow replacing it), so the answer is kept.
    """
    global _otel_seen
    if _otel_seen:
        return True
    if "opentelemetry.sdk.trace" not in sys.modules:
        return False
    trace_mod = sys.modules.get("opentelemetry.trace")
    if trace_mod is None:
        return False
    # The API's global, None until a provider is set: asked per request, and get_tracer_provider()
    # (an environment lookup and two isinstance checks) cost 2-3 us of a 10 us middleware.
    provider = getattr(trace_mod, "_TRACER_PROVIDER", _UNKNOWN)
    if provider is None:
        return False
    if provider is _UNKNOWN:
        provider = trace_mod.get_tracer_provider()
    _otel_seen = not isinstance(
        provider, (trace_mod.ProxyTracerProvider, trace_mod.NoOpTracerProvider)
    )
    return _otel_seen


def active_ids() -> tuple[str, str] | None:
    """(trace_id, span_id) of OpenTelemetry's active span when the app traces with it.

    Read only if the app configured OpenTelemetry itself, so aloft never pulls it in.
    """
    if not otel_active():
        return None
    span_context = sys.modules["opentelemetry.trace"].get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return f"{span_context.trace_id:032x}", f"{span_context.span_id:016x}"


def outgoing_headers() -> dict[str, str]:
    """Headers that carry this request's trace and id to a downstream call."""
    ctx = current.get()
    if ctx is None:
        return {}
    ids = active_ids()
    traceparent = f"00-{ids[0]}-{ids[1]}-{ctx.trace_flags}" if ids else ctx.traceparent
    return {"traceparent": traceparent, "x-request-id": ctx.request_id}


def current_request() -> RequestContext | None:
    """The ids of the request being served (None outside a request)."""
    return current.get()
