"""`lambda_handler(app)`: one Lambda handler serving an ASGI or WSGI app and plain event handlers.

The app runs inside aloft's own middleware (AloftASGI/AloftWSGI), so logs, request and trace ids
and metrics behave exactly as under `aloft run`. Everything costly happens once per execution
environment, at construction (Lambda's init phase): logging, the event loop and ASGI lifespan
startup. Shutdown hooks run only if Lambda sends SIGTERM, which it does only for a function with
an extension; otherwise the environment is frozen and killed without notice.
"""

from __future__ import annotations

import os
import sys
from types import CoroutineType

from aloft.runtime._lazy import lazy_getattr
from aloft.runtime.aws_lambda import context as invocation
from aloft.runtime.aws_lambda.sources import source_for

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType
    from typing import Any

    from aloft.runtime.aws_lambda.asgi_run import InvocationLoop
    from aloft.runtime.aws_lambda.sources._http import HTTPRequest
    from aloft.runtime.options import ServeOptions

_ERROR_BODY = b'{"error":"internal server error"}'
_JSON = ("content-type", "application/json")
_APP_METRICS = "aloft.runtime.metrics.app"  # loaded by the app's first metrics.counter(...)


class LambdaHandler:
    """Call it with (event, context), as Lambda does. Register event handlers with `on_*`."""

    def __init__(
        self,
        app: Any = None,
        options: ServeOptions | None = None,
        *,
        interface: str = "auto",
        base_path: str = "",
        lifespan: bool = True,
        configure_logging: bool | None = None,
        observe: bool = True,
        probes: bool | None = None,
    ) -> None:
        from aloft.runtime._switch import switch
        from aloft.runtime.aws_lambda import environments
        from aloft.runtime.options import ServeOptions

        if options is None:
            options = ServeOptions.from_env(os.environ)
        self.options = options
        self.base_path = base_path.rstrip("/")
        self.observe = observe
        if probes is None:
            probes = switch(os.environ, "ALOFT_LAMBDA_PROBES", False)
        # /healthz, /readyz and /metrics are for an orchestrator and a scraper, and Lambda has
        # neither: through a public API anyone could reach them, they would hide the app's own
        # routes of those names, and the counters would cover one environment only (EMF carries
        # the metrics). Off unless asked for.
        self.probes = probes
        self.handlers: dict[str, Callable[..., Any]] = {}
        self.app: Any = None
        self.interface = ""
        self._loop: InvocationLoop | None = None
        self._lifespan: Any = None
        self._state: dict[str, Any] = {}
        service = options.service or os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.service = service
        self.emf_namespace = (
            os.environ.get("ALOFT_LAMBDA_EMF_NAMESPACE", "aloft")
            if switch(os.environ, "ALOFT_LAMBDA_EMF", True)
            else ""
        )
        if configure_logging is None:
            configure_logging = "AWS_LAMBDA_RUNTIME_API" in os.environ
        if configure_logging:
            from aloft.runtime import logs

            logs.configure(service, options.log_level, options.log_format)
        if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
            from aloft.runtime.aws_lambda import snapstart  # noqa: F401  (hands Lambda its hooks)
        if os.environ.get("AWS_LAMBDA_RUNTIME_API"):
            from aloft.runtime.aws_lambda import runtime_api, secrets

            secrets.resolve_environment(os.environ)
            runtime_api.install_sigterm(environments.shutdown_all)
        from aloft.runtime.observe import span_export

        # Started here, in the init phase; flushed at the end of every invocation (`__call__`).
        self.spans = span_export()
        if self.spans is not None:
            self.spans.start()
        if app is not None:
            self._wrap(app, interface, service)
            if self.interface == "asgi" and lifespan:
                self._startup()
        environments.register(self)

    # -- event handler registration ---------------------------------------------------------

    def _register(self, kind: str, func: Callable[..., Any]) -> Callable[..., Any]:
        self.handlers[kind] = func
        return func

    def on_sqs(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Called once per SQS record; a raising record is reported in batchItemFailures."""
        return self._register("sqs", func)

    def on_sns(self, func: Callable[..., Any]) -> Callable[..., Any]:
        return self._register("sns", func)

    def on_s3(self, func: Callable[..., Any]) -> Callable[..., Any]:
        return self._register("s3", func)

    def on_eventbridge(self, func: Callable[..., Any]) -> Callable[..., Any]:
        return self._register("eventbridge", func)

    def on_schedule(self, func: Callable[..., Any]) -> Callable[..., Any]:
        return self._register("schedule", func)

    # -- invocation ---------------------------------------------------------------------------

    def __call__(self, event: Any, context: Any) -> Any:
        token = invocation.current.set((event, context))
        try:
            source = source_for(event) if self.app is not None else None
            if source is not None:
                return self._http(source, event, context)
            if self.spans is not None:
                from aloft.runtime.aws_lambda import event_span

                return event_span.dispatch(
                    self.spans, self.handlers, self.run_async, self.service, event, context
                )
            from aloft.runtime.aws_lambda.sources import dispatch

            return dispatch(self.handlers, event, self.run_async)
        finally:
            invocation.current.reset(token)
            if self.emf_namespace and _APP_METRICS in sys.modules:  # the app defined metrics
                from aloft.runtime.aws_lambda import emf

                emf.flush(self.emf_namespace, self.service)
            if self.spans is not None:
                # Before the invocation returns: a frozen environment exports nothing.
                self.spans.flush(_flush_budget(context))

    def run_async(self, awaitable: Any) -> Any:
        """Run a coroutine on this environment's event loop (kept across invocations)."""
        loop = self._event_loop()
        if isinstance(awaitable, CoroutineType):
            return loop.run(awaitable)
        return loop.run_until_complete(awaitable)

    def _http(self, source: ModuleType, event: dict[str, Any], context: Any) -> Any:
        from aloft.runtime.exceptions import BadEvent

        try:
            request = source.request(event)
        except BadEvent as exc:
            return _error(source, event, 400, str(exc))
        except (TypeError, ValueError, AttributeError, UnicodeError) as exc:
            return _error(source, event, 400, f"malformed {source.NAME} event: {exc}")
        if self.base_path:
            from aloft.runtime.aws_lambda.sources._http import split_path

            root, request.path = split_path(request.path, self.base_path)
            request.root_path += root
        out = invocation.response_stream.get()
        if out is not None and hasattr(source, "prelude"):
            return self._streamed(source, request, event, context, out)
        try:
            if self.interface == "asgi":
                status, headers, body = self._asgi(request, event, context)
            else:
                status, headers, body = self._wsgi(request, event, context)
        except Exception:
            import logging

            logging.getLogger("aloft.lambda").exception("unhandled error in the app")
            status, headers, body = 500, [_JSON], _ERROR_BODY
        return source.response(status, headers, body, event)

    def _streamed(
        self, source: ModuleType, request: HTTPRequest, event: Any, context: Any, out: Any
    ) -> None:
        """A Function URL in RESPONSE_STREAM mode: the body goes out as the app sends it."""
        import logging

        try:
            if self.interface == "asgi":
                from aloft.runtime.aws_lambda import asgi_run

                scope = asgi_run.scope(request, event, context, self._state)
                self.run_async(asgi_run.stream(self.app, scope, request.body, out, source.prelude))
            else:
                from aloft.runtime.aws_lambda import wsgi_run

                env = wsgi_run.environ(request, event, context)
                wsgi_run.stream(self.app, env, out, source.prelude)
        except Exception as exc:
            from aloft.runtime.aws_lambda.runtime_api import error_payload
            from aloft.runtime.exceptions import RuntimeAPIError

            if isinstance(exc, RuntimeAPIError):
                raise  # the Runtime API is gone: nothing to report to
            logging.getLogger("aloft.lambda").exception("unhandled error in the app")
            if out.started:
                # After the first byte: Lambda's error trailers.
                out.fail(error_payload(exc, getattr(context, "aws_request_id", "")))
                return None
            out.write(source.prelude(500, [_JSON]) + _ERROR_BODY)
        out.finish()
        return None

    # -- ASGI -----------------------------------------------------------------------------

    def _wrap(self, app: Any, interface: str, service: str) -> None:
        from aloft.runtime.appload import detect_interface

        if interface == "auto":
            interface = self.options.interface
        self.interface = detect_interface(app) if interface == "auto" else interface
        self.raw_app = app
        if not self.observe:
            self.app = app  # the app alone: no aloft ids, logs or metrics around it
            return
        if self.interface == "asgi":
            from aloft.runtime.asgi import AloftASGI

            self.app = AloftASGI(app, self.options)
        else:
            from aloft.runtime.wsgi import AloftWSGI

            self.app = AloftWSGI(app, self.options)
        from aloft.runtime.aws_lambda.observer import LambdaObserver

        observer = LambdaObserver(app, self.options)
        if not self.probes:
            observer.probes = {}
        observer.emf_namespace = self.emf_namespace
        observer.service = service
        self.app.observer = observer

    def _event_loop(self) -> InvocationLoop:
        if self._loop is None:
            import asyncio

            from aloft.runtime.aws_lambda.asgi_run import InvocationLoop

            self._loop = InvocationLoop()
            asyncio.set_event_loop(self._loop)
        return self._loop

    def _asgi(
        self, request: HTTPRequest, event: Any, context: Any
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        from aloft.runtime.aws_lambda import asgi_run

        scope = asgi_run.scope(request, event, context, self._state)
        answer: tuple[int, list[tuple[str, str]], bytes] = self.run_async(
            asgi_run.call(self.app, scope, request.body)
        )
        return answer

    def _startup(self) -> None:
        from aloft.runtime.aws_lambda.asgi_run import Lifespan

        self._lifespan = Lifespan(self.raw_app, self._state)
        self.run_async(self._lifespan.startup())

    def shutdown(self, timeout: float = 2.0) -> None:
        """Run the app's shutdown hooks (once); the environment is going away."""
        lifespan, self._lifespan = self._lifespan, None
        if lifespan is not None and self._loop is not None and not self._loop.is_closed():
            self.run_async(lifespan.shutdown(timeout))

    # -- WSGI -----------------------------------------------------------------------------

    def _wsgi(
        self, request: HTTPRequest, event: Any, context: Any
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        from aloft.runtime.aws_lambda import wsgi_run

        return wsgi_run.call(self.app, wsgi_run.environ(request, event, context))


def _flush_budget(context: Any) -> float:
    """Seconds the span flush may take: what is left of the invocation, less a margin for
    returning the result, at most 2 s."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    try:
        left = float(remaining()) / 1000 if remaining is not None else 2.0
    except Exception:
        left = 2.0
    return max(0.05, min(2.0, left - 0.2))


def _error(source: ModuleType, event: dict[str, Any], status: int, message: str) -> Any:
    import json

    body = json.dumps({"error": message}).encode()
    try:
        return source.response(status, [_JSON], body, event)
    except Exception:
        return {"statusCode": status, "headers": dict([_JSON]), "body": body.decode()}


def lambda_handler(app: Any = None, **kwargs: Any) -> LambdaHandler:
    """The Lambda handler for `app` (ASGI or WSGI); `app=None` for event handlers only."""
    return LambdaHandler(app, **kwargs)


# LifespanError and UnknownEventError were defined here once: their old import path still works.
__getattr__ = lazy_getattr(
    __name__,
    {
        "LifespanError": "aloft.runtime.exceptions",
        "UnknownEventError": "aloft.runtime.exceptions",
    },
    globals(),
)
