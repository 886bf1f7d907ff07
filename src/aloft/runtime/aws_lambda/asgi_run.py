"""One ASGI request from a Lambda event, and the app's lifespan once per execution environment."""

from __future__ import annotations

import asyncio
import sys
from asyncio import events

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from contextvars import Context
    from typing import Any

    from aloft.runtime.aws_lambda.sources._http import HTTPRequest

_ASGI = {"version": "3.0", "spec_version": "2.3"}


def scope(request: HTTPRequest, event: Any, context: Any, state: dict[str, Any]) -> dict[str, Any]:
    path = request.root_path + request.path
    return {
        "type": "http",
        "asgi": _ASGI,
        "http_version": "1.1",
        "method": request.method,
        "scheme": request.scheme,
        "path": path,
        "raw_path": (
            request.raw_path
            if request.raw_path is not None
            else path.encode("utf-8", "surrogateescape")
        ),
        "query_string": request.query,
        "root_path": request.root_path,
        "headers": request.headers,
        "client": request.client,
        "server": request.server,
        "state": dict(state),
        # Where Mangum puts them too, so apps written for it keep working.
        "aws.event": event,
        "aws.context": context,
    }


class _Exchange:
    """One request's side of the ASGI conversation, shared by the buffered and streamed runs:
    the body once, then `http.disconnect` when the response is complete, and the head."""

    __slots__ = ("body", "done", "finished", "headers", "request_sent", "started", "status")

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.status = 500
        self.headers: list[tuple[str, str]] = []
        self.started = self.finished = self.request_sent = False
        # Made only if the app waits for the client to go away (it "disconnects" once the
        # response is complete); most apps never ask, and a future per request is not free.
        self.done: asyncio.Future[None] | None = None

    async def receive(self) -> dict[str, Any]:
        if not self.request_sent:
            self.request_sent = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        if not self.finished:
            if self.done is None:
                self.done = asyncio.get_running_loop().create_future()
            await self.done
        return {"type": "http.disconnect"}

    def start(self, message: dict[str, Any]) -> None:
        self.started = True
        self.status = int(message["status"])
        self.headers = [
            (n.decode("latin-1"), v.decode("latin-1")) for n, v in message.get("headers", ())
        ]

    def finish(self) -> None:
        self.finished = True
        if self.done is not None and not self.done.done():
            self.done.set_result(None)


async def call(
    app: Any, scope: dict[str, Any], body: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    exchange = _Exchange(body)
    chunks: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            exchange.start(message)
        elif kind == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                exchange.finish()

    try:
        await app(scope, exchange.receive, send)
    finally:
        exchange.finish()
    if not exchange.started:
        raise RuntimeError("the app returned without starting a response")
    return exchange.status, exchange.headers, b"".join(chunks)


async def stream(
    app: Any,
    scope: dict[str, Any],
    body: bytes,
    out: Any,
    prelude: Callable[[int, list[tuple[str, str]]], bytes],
) -> None:
    """Run the app with its body chunks written to `out` (a ResponseStream) as it sends them.

    The head goes out with the first body bytes, so an app that fails before sending any can
    still be answered with a 500; one that fails later is reported in the stream's trailers.
    """
    exchange = _Exchange(body)

    async def send(message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            exchange.start(message)
        elif kind == "http.response.body":
            data = bytes(message.get("body", b""))
            more = bool(message.get("more_body", False))
            if not out.started:
                if data or not more:
                    out.write(prelude(exchange.status, exchange.headers) + data)
            elif data:
                out.write(data)
            if not more:
                exchange.finish()

    try:
        await app(scope, exchange.receive, send)
    except Exception:
        if not exchange.finished:
            raise
        # The response went out whole (Starlette sends its 500, then re-raises): nothing to
        # cut short; the error is the app's, for the log.
        import logging

        logging.getLogger("aloft.lambda").exception("unhandled error in the app")
    finally:
        exchange.finish()
    if not exchange.started:
        raise RuntimeError("the app returned without starting a response")
    if not out.started:
        out.write(prelude(exchange.status, exchange.headers))


async def _turns() -> None:
    """Two turns of the loop: due timers wake their tasks, then those tasks run."""
    await asyncio.sleep(0)


class InvocationLoop(asyncio.SelectorEventLoop):
    """An event loop that starts each invocation's task eagerly, in the caller's stack.

    `run_until_complete` sets the loop up and tears it down on every call and polls epoll twice,
    which costs more than a small app's whole request. Most requests never wait on I/O, so
    `run` first steps the task at once, as Python 3.12's eager tasks do (a real Task: current
    task, contextvars and timeouts behave as usual). Only a task that suspends, or one that left
    callbacks or timers behind, goes through the loop proper, which finishes and cleans them up.
    """

    def __init__(self) -> None:
        super().__init__()
        self._capturing = False
        self._step: tuple[Callable[[], object], Context | None] | None = None
        self._leftovers = 0

    def call_soon(  # type: ignore[override]  # no Handle for the captured step: Task ignores it
        self, callback: Any, *args: Any, context: Context | None = None
    ) -> Any:
        if self._capturing and not args:
            # The task's first step, which the Task constructor schedules: run it ourselves.
            self._capturing = False
            self._step = (callback, context)
            return None
        self._leftovers += 1
        return super().call_soon(callback, *args, context=context)

    def call_at(  # type: ignore[override]
        self, when: float, callback: Any, *args: Any, context: Context | None = None
    ) -> Any:
        self._leftovers += 1  # even cancelled, a timer stays in the heap until the loop runs
        return super().call_at(when, callback, *args, context=context)

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        self._leftovers = 0
        hooks = sys.get_asyncgen_hooks()
        events._set_running_loop(self)
        sys.set_asyncgen_hooks(
            firstiter=self._asyncgen_firstiter_hook,  # type: ignore[attr-defined]
            finalizer=self._asyncgen_finalizer_hook,  # type: ignore[attr-defined]
        )
        try:
            self._capturing = True
            if self.get_task_factory() is None:
                task: asyncio.Task[Any] = asyncio.Task(coro, loop=self)
            else:
                task = self.create_task(coro)
            self._capturing = False
            step, self._step = self._step, None
            if step is not None:
                callback, context = step
                if context is None:
                    callback()
                else:
                    context.run(callback)
        finally:
            self._capturing = False
            sys.set_asyncgen_hooks(*hooks)
            events._set_running_loop(None)
        if step is None or not task.done():
            return self.run_until_complete(task)
        if self._leftovers or self._work_due():
            self.run_until_complete(_turns())
        return task.result()

    def _work_due(self) -> bool:
        """Whether earlier work (a background task's wake-up, a callback from another thread) is
        waiting for the loop: give it its turn, as a loop run per invocation always did."""
        ready = getattr(self, "_ready", None)  # BaseEventLoop's own queues
        scheduled = getattr(self, "_scheduled", None)
        return bool(ready) or bool(scheduled and scheduled[0].when() <= self.time())


class Lifespan:
    """The ASGI lifespan protocol, held open across invocations on the environment's loop."""

    def __init__(self, app: Any, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state
        self.supported = True
        self._inbox: asyncio.Queue[dict[str, Any]] | None = None
        self._started: asyncio.Future[None] | None = None
        self._stopped: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        loop = asyncio.get_running_loop()
        self._inbox = asyncio.Queue()
        self._started = loop.create_future()
        self._stopped = loop.create_future()
        self._task = loop.create_task(self._main())
        await self._inbox.put({"type": "lifespan.startup"})
        await self._started

    async def _main(self) -> None:
        assert self._inbox is not None and self._started is not None and self._stopped is not None
        inbox, started, stopped = self._inbox, self._started, self._stopped

        async def receive() -> dict[str, Any]:
            return await inbox.get()

        async def send(message: dict[str, Any]) -> None:
            kind = message["type"]
            if kind == "lifespan.startup.complete" and not started.done():
                started.set_result(None)
            elif kind == "lifespan.startup.failed" and not started.done():
                from aloft.runtime.exceptions import LifespanError

                started.set_exception(LifespanError(message.get("message") or "startup failed"))
            elif (
                kind in ("lifespan.shutdown.complete", "lifespan.shutdown.failed")
                and not stopped.done()
            ):
                stopped.set_result(None)

        try:
            await self.app({"type": "lifespan", "asgi": _ASGI, "state": self.state}, receive, send)
        except Exception:
            if not started.done():
                # Raising before startup completes is how an app says it has no lifespan.
                self.supported = False
                started.set_result(None)
            else:
                import logging

                logging.getLogger("aloft.lambda").exception("lifespan failed")
        finally:
            if not started.done():
                self.supported = False
                started.set_result(None)
            if not stopped.done():
                stopped.set_result(None)

    async def shutdown(self, timeout: float) -> None:
        if not self.supported or self._inbox is None or self._stopped is None:
            return
        await self._inbox.put({"type": "lifespan.shutdown"})
        try:
            await asyncio.wait_for(asyncio.shield(self._stopped), timeout)
        except asyncio.TimeoutError:
            import logging

            logging.getLogger("aloft.lambda").warning("lifespan shutdown timed out")
