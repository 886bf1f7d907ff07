"""One ASGI request from a Lambda event, and the app's lifespan once per execution environment."""

from __future__ import annotations

import asyncio

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
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
        "raw_path": path.encode("utf-8", "surrogateescape"),
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


async def call(
    app: Any, scope: dict[str, Any], body: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    status = 500
    headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []
    started = False
    request_sent = False
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def receive() -> dict[str, Any]:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done  # the client "disconnects" once the response is complete
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, headers, started
        kind = message["type"]
        if kind == "http.response.start":
            started = True
            status = int(message["status"])
            headers = [
                (n.decode("latin-1"), v.decode("latin-1")) for n, v in message.get("headers", ())
            ]
        elif kind == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False) and not done.done():
                done.set_result(None)

    try:
        await app(scope, receive, send)
    finally:
        if not done.done():
            done.set_result(None)
    if not started:
        raise RuntimeError("the app returned without starting a response")
    return status, headers, b"".join(chunks)


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
                from aloft.runtime.aws_lambda.handler import LifespanError

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
