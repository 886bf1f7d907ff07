"""Span export over OTLP: one server span per request or event, its ids the request's own.

Off unless the environment asks for it (`OTEL_TRACES_EXPORTER=otlp`, or an OTLP endpoint, as
`[tool.aloft.tracing]` writes them). Only then is this module imported, and only then does it
import OpenTelemetry's SDK and exporter (`aloft-runtime[otel]`).

Why it is shaped like this:
- The sampling decision is made here, with the standard samplers' own arithmetic, before any
  SDK object exists: an unsampled request costs one comparison, and its trace flags (passed on
  in `traceparent`) say so, so the next service drops it too (parent-based: whole or nothing).
- The span is handed to the SDK's batch processor when the request ends, as a finished
  `ReadableSpan` with the start time and ids the request already had: the ids on the log lines,
  in the outgoing `traceparent` and on the exported span are one and the same, and a sampled
  request skips the SDK's span life cycle (sampler, locks, attribute checks: ~3/4 of its cost).
- Pre-fork servers: `prepare()` imports the SDK in the master, before `gc.freeze()`, so workers
  share those pages; `start()` builds the provider and its export thread in each worker after
  the fork (threads do not survive fork), and `stop()` flushes on the way out, bounded by the
  drain timeout. Lambda: `flush()` at the end of every invocation, before it returns, so no
  span waits in a buffer while the environment is frozen.
"""

from __future__ import annotations

import os
import time

from aloft.runtime import tracing

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

# The samplers of the OpenTelemetry specification (OTEL_TRACES_SAMPLER values).
SAMPLERS = frozenset(
    {
        "always_on",
        "always_off",
        "traceidratio",
        "parentbased_always_on",
        "parentbased_always_off",
        "parentbased_traceidratio",
    }
)
CLIENTS = ("httpx", "requests", "redis", "botocore")
# The OTLP protocols Python's exporters speak (http/json has no exporter in Python).
PROTOCOLS = ("http/protobuf", "grpc")
# Environment variables aloft reads besides OpenTelemetry's own.
INSTRUMENT_ENV = "ALOFT_TRACING_INSTRUMENT"
# Put in the pod's env by the manifests aloft renders (the downward API).
K8S_ENV = {
    "K8S_POD_NAME": "k8s.pod.name",
    "K8S_NAMESPACE_NAME": "k8s.namespace.name",
    "K8S_NODE_NAME": "k8s.node.name",
}
_TRACE_ID_LIMIT = (1 << 64) - 1


def enabled(environ: Mapping[str, str]) -> bool:
    """Whether spans are exported: an OTLP exporter asked for, and the SDK not disabled."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporters:
        return "otlp" in [e.strip() for e in exporters.split(",")]
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    )


class Sampling:
    """The sampler named by OTEL_TRACES_SAMPLER(_ARG), decided without the SDK.

    The same arithmetic as the SDK's TraceIdRatioBased (the trace id's low 64 bits below
    ratio * 2**64), so the span the SDK is later asked for is never one it would drop.
    """

    def __init__(self, environ: Mapping[str, str]) -> None:
        name = environ.get("OTEL_TRACES_SAMPLER", "").strip().lower() or "parentbased_always_on"
        if name not in SAMPLERS:
            raise ValueError(
                f"OTEL_TRACES_SAMPLER={name}: not a sampler aloft knows; use one of "
                + ", ".join(sorted(SAMPLERS))
            )
        ratio = 1.0
        if name.endswith("traceidratio"):
            raw = environ.get("OTEL_TRACES_SAMPLER_ARG", "").strip() or "1.0"
            try:
                ratio = float(raw)
            except ValueError:
                ratio = -1.0
            if not 0.0 <= ratio <= 1.0:
                raise ValueError(
                    f"OTEL_TRACES_SAMPLER_ARG={raw}: a sampling ratio from 0 to 1, such as 0.1"
                )
        self.name = name
        self.ratio = ratio
        self.parent_based = name.startswith("parentbased_")
        root = name.removeprefix("parentbased_")
        self.bound = (
            _TRACE_ID_LIMIT + 1
            if root == "always_on"
            else 0
            if root == "always_off"
            else round(ratio * (_TRACE_ID_LIMIT + 1))
        )

    def flags(self, trace_id: str, parent_flags: str | None) -> str:
        """ "01" (sampled) or "00" for a server span of `trace_id` whose remote parent had
        `parent_flags` (None: a new trace)."""
        if parent_flags is not None and self.parent_based:
            return "01" if int(parent_flags, 16) & 1 else "00"
        return "01" if int(trace_id[16:], 16) < self.bound else "00"


def resource_attributes(environ: Mapping[str, str]) -> dict[str, str]:
    """Where the span ran, from what the platform puts in the environment; OTEL_SERVICE_NAME
    and OTEL_RESOURCE_ATTRIBUTES (read by the SDK) take precedence over these."""
    attrs: dict[str, str] = {}
    service = environ.get("ALOFT_SERVICE") or environ.get("AWS_LAMBDA_FUNCTION_NAME")
    if service:
        attrs["service.name"] = service
    for name, key in K8S_ENV.items():
        if environ.get(name):
            attrs[key] = environ[name]
    function = environ.get("AWS_LAMBDA_FUNCTION_NAME")
    if function:
        attrs["cloud.provider"] = "aws"
        attrs["cloud.platform"] = "aws_lambda"
        attrs["faas.name"] = function
        for env, key in (
            ("AWS_LAMBDA_FUNCTION_VERSION", "faas.version"),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "faas.instance"),
            ("AWS_REGION", "cloud.region"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "faas.max_memory"),
        ):
            if environ.get(env):
                attrs[key] = environ[env]
        if environ.get("AWS_LAMBDA_LOG_GROUP_NAME"):
            attrs["aws.log.group.names"] = environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        if environ.get("AWS_LAMBDA_LOG_STREAM_NAME"):
            attrs["aws.log.stream.names"] = environ["AWS_LAMBDA_LOG_STREAM_NAME"]
    return attrs


def protocol(environ: Mapping[str, str]) -> str:
    """The OTLP protocol of span export: the traces variable over the general one.

    Anything but a protocol with an exporter is an error, not a fallback to http/protobuf: a
    mistyped "grpc" would post HTTP to the collector's gRPC port and lose every span."""
    for name in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        raw = environ.get(name, "").strip()
        if raw:
            if raw.lower() not in PROTOCOLS:
                raise ValueError(
                    f"{name}={raw}: not an OTLP protocol aloft can export with; use one of "
                    + ", ".join(PROTOCOLS)
                )
            return raw.lower()
    return "http/protobuf"


class SpanExport:
    """The process's span pipeline: the sampling decision, then the SDK (after `start`)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.sampling = Sampling(environ)
        raw = environ.get(INSTRUMENT_ENV, "")
        self.clients = [c.strip() for c in raw.split(",") if c.strip()]
        unknown = [c for c in self.clients if c not in CLIENTS]
        if unknown:
            raise ValueError(
                f"{INSTRUMENT_ENV}={raw}: no instrumentation for {', '.join(unknown)}; "
                f"use some of {', '.join(CLIENTS)}"
            )
        self.protocol = protocol(environ)
        self.pid = 0  # the process `start` ran in: a forked child must start its own
        self.provider: Any = None
        self._processor: Any = None
        self._made: Any = None  # what a finished span is made of (classes, resource, scope)
        # Whether a span ended since the last flush: an unsampled Lambda invocation's flush
        # then costs nothing (no helper thread, no export).
        self.pending = False
        self._api: Any = None

    # -- life cycle ------------------------------------------------------------------------

    def prepare(self) -> None:
        """Import the SDK and exporter (in the master: shared with the workers, and frozen).
        An ImportError here names the missing extra."""
        try:
            import opentelemetry.exporter.otlp.proto.http.trace_exporter
            import opentelemetry.sdk.trace
            import opentelemetry.sdk.trace.export
        except ImportError as exc:
            raise ImportError(
                f"tracing is on (OTEL_TRACES_EXPORTER / OTEL_EXPORTER_OTLP_ENDPOINT) but {exc.name}"
                " is not installed; add `aloft-runtime[otel]` to the app's dependencies"
            ) from exc
        if self.protocol == "grpc":
            try:
                import opentelemetry.exporter.otlp.proto.grpc.trace_exporter  # noqa: F401
            except ImportError as exc:
                raise ImportError(
                    "OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs opentelemetry-exporter-otlp-proto-grpc"
                    " in the app's dependencies (or use http/protobuf)"
                ) from exc
        for client in self.clients:
            _instrumentor(client)  # fails now, in the master, if its package is missing

    def start(self) -> None:
        """Build the provider and its export thread in this process (a worker, after fork)."""
        if self.pid == os.getpid():
            return
        self.prepare()
        from opentelemetry import context, trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.util.instrumentation import InstrumentationScope

        # Both exporters read the endpoint, headers, compression, TLS and timeout from the
        # environment themselves (gRPC: scheme, host and port only; http is plaintext).
        exporter: Any
        if self.protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc import trace_exporter as grpc

            exporter = grpc.OTLPSpanExporter()
        else:
            from opentelemetry.exporter.otlp.proto.http import trace_exporter as http

            exporter = http.OTLPSpanExporter()
        # Resource.create reads OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME over ours.
        attributes: dict[str, Any] = {**resource_attributes(os.environ), "process.pid": os.getpid()}
        resource = Resource.create(attributes)
        # No atexit shutdown of the SDK's own: it waits out the exporter's retries (10 s) with no
        # bound, past gunicorn's graceful timeout. `stop()` flushes within the drain budget.
        provider = TracerProvider(resource=resource, shutdown_on_exit=False)
        # One export pipeline for the server spans (below) and the client instrumentations'.
        self._processor = BatchSpanProcessor(exporter)
        provider.add_span_processor(self._processor)
        provider.add_span_processor(_pending(self))
        self.provider = provider
        self._api = (trace, context)
        self._made = (
            ReadableSpan,
            resource,
            InstrumentationScope("aloft.runtime"),
            trace.Status(trace.StatusCode.UNSET),
            trace.Status(trace.StatusCode.ERROR),
            trace.TraceFlags(1),
        )
        for client in self.clients:
            _instrumentor(client)().instrument(tracer_provider=provider)
        self.pid = os.getpid()

    def flush(self, timeout: float) -> bool:
        """Export what is buffered, waiting at most `timeout` seconds (True: all went out)."""
        if self.provider is None or self.pid != os.getpid() or not self.pending:
            return True
        self.pending = False
        if _bounded(self.provider.force_flush, timeout):
            return True
        self.pending = True  # still buffered: the next flush tries again
        return False

    def stop(self, timeout: float) -> None:
        """Flush, then stop the export thread (a worker exiting, or a drain)."""
        if self.provider is None or self.pid != os.getpid():
            return
        deadline = time.monotonic() + timeout
        provider, self.provider, self._made = self.provider, None, None
        if _bounded(provider.force_flush, timeout):
            _bounded(provider.shutdown, max(0.0, deadline - time.monotonic()))

    # -- per request -----------------------------------------------------------------------

    def decide(self, trace_id: str, parent_flags: str | None) -> str:
        return self.sampling.flags(trace_id, parent_flags)

    def enter(self, ctx: tracing.RequestContext) -> object:
        """Make the server span current for the app's outgoing calls (instrumented clients):
        their spans become its children and their `traceparent` carries its flags."""
        if not self.clients or self._api is None:
            return None
        trace, context = self._api
        span_context = trace.SpanContext(
            int(ctx.trace_id, 16),
            int(ctx.span_id, 16),
            is_remote=False,
            trace_flags=trace.TraceFlags(int(ctx.trace_flags, 16)),
        )
        return context.attach(trace.set_span_in_context(trace.NonRecordingSpan(span_context)))

    def leave(self, token: object) -> None:
        if token is not None:
            self._api[1].detach(token)

    def server_span(
        self,
        ctx: tracing.RequestContext,
        seconds: float,
        name: str,
        attributes: dict[str, Any],
        kind: str = "SERVER",
        error: str = "",
        ended: float | None = None,
    ) -> None:
        """Export the finished request's span (sampled requests only), ids and times as lived.

        `ended` is the perf_counter() reading `seconds` was measured to: the span ends then, not
        when this runs, which on a busy machine can be later (the response is already sent).
        `attributes` hold only str, int and bool values (the SDK's checks are skipped)."""
        made = self._made
        if ctx.trace_flags != "01" or made is None or self.pid != os.getpid():
            return  # unsampled; or a fork that never started: not this process's SDK
        readable, resource, scope, unset, failed, sampled = made
        trace = self._api[0]
        end = time.time_ns()
        if ended is not None:
            end -= int((time.perf_counter() - ended) * 1e9)
        trace_id = int(ctx.trace_id, 16)
        parent = (
            trace.SpanContext(trace_id, int(ctx.parent_span_id, 16), True, sampled)
            if ctx.parent_span_id
            else None
        )
        if error:
            attributes["error.type"] = error
        self.pending = True
        self._processor.on_end(
            readable(
                name,
                trace.SpanContext(trace_id, int(ctx.span_id, 16), False, sampled),
                parent,
                resource,
                attributes,
                kind=getattr(trace.SpanKind, kind),
                status=failed if error else unset,
                start_time=end - int(seconds * 1e9),
                end_time=end,
                instrumentation_scope=scope,
            )
        )


def _pending(export: SpanExport) -> Any:
    """A span processor that only notes that a span ended (the client instrumentations')."""
    from opentelemetry.sdk.trace import SpanProcessor

    class Pending(SpanProcessor):
        def on_end(self, span: Any) -> None:
            export.pending = True

    return Pending()


def _bounded(call: Any, timeout: float) -> bool:
    """`call()` in a helper thread, waiting at most `timeout` seconds; whether it finished.

    The SDK's force_flush ignores its timeout and exports in the caller's thread, as long as
    the exporter's own timeout (10 s by default) against a receiver that does not answer."""
    import threading

    done = threading.Event()

    def run() -> None:
        try:
            call()
        finally:
            done.set()

    threading.Thread(target=run, daemon=True, name="aloft-spans-flush").start()
    return done.wait(timeout)


def _instrumentor(client: str) -> Any:
    """The OpenTelemetry instrumentor class of `client` (its package, imported now)."""
    import importlib

    module, cls = {
        "httpx": ("opentelemetry.instrumentation.httpx", "HTTPXClientInstrumentor"),
        "requests": ("opentelemetry.instrumentation.requests", "RequestsInstrumentor"),
        "redis": ("opentelemetry.instrumentation.redis", "RedisInstrumentor"),
        "botocore": ("opentelemetry.instrumentation.botocore", "BotocoreInstrumentor"),
    }[client]
    try:
        return getattr(importlib.import_module(module), cls)
    except ImportError as exc:
        package = "opentelemetry-instrumentation-" + client
        raise ImportError(
            f"{INSTRUMENT_ENV} names {client}, but {package} is not installed; add it to the"
            " app's dependencies"
        ) from exc


_export: SpanExport | None = None
_checked = False


def asked(environ: Mapping[str, str]) -> bool:
    """Whether OTLP export is asked for by name (as [tool.aloft.tracing] does), not only implied
    by an endpoint that a platform may set for another SDK."""
    exporters = environ.get("OTEL_TRACES_EXPORTER", "").lower()
    return "otlp" in [e.strip() for e in exporters.split(",")]


def get() -> SpanExport | None:
    """The process's span export, or None when tracing is off (asked of the environment once).

    The SDK is imported here, the first time (in the master, before the fork). Missing, it is an
    error (ImportError naming the extra) when export was asked for by name; with only an
    endpoint in the environment, a warning, and the service runs without export."""
    global _export, _checked
    if not _checked:
        _checked = True
        if enabled(os.environ):
            export = SpanExport(os.environ)
            try:
                export.prepare()
            except ImportError as exc:
                if asked(os.environ):
                    raise
                import logging

                logging.getLogger("aloft.tracing").warning(
                    "%s; spans are not exported (OTEL_TRACES_EXPORTER=none silences this)", exc
                )
                return None
            _export = export
    return _export


def reset() -> None:
    """Forget the environment's answer (tests that change it)."""
    global _export, _checked
    _export, _checked = None, False
