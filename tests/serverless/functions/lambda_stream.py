"""Apps that stream their bodies: Starlette StreamingResponse and server-sent events, and WSGI."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, StreamingResponse
from starlette.routing import Route

from aloft.runtime.aws_lambda import lambda_handler


async def chunks(request: Request) -> StreamingResponse:
    count = int(request.query_params.get("n", "10"))
    gap = float(request.query_params.get("gap", "0.1"))
    fail_at = int(request.query_params.get("fail_at", "-1"))

    async def body() -> AsyncIterator[bytes]:
        for i in range(count):
            if i == fail_at:
                raise RuntimeError(f"failed after {i} chunks")
            if i:
                await asyncio.sleep(gap)
            yield f"chunk {i} {time.time():.6f}\n".encode()

    return StreamingResponse(body(), media_type="text/plain", headers={"x-kind": "chunks"})


async def events(request: Request) -> StreamingResponse:
    async def body() -> AsyncIterator[str]:
        for i in range(3):
            if i:
                await asyncio.sleep(0.1)
            yield f"id: {i}\ndata: tick {i}\n\n"

    return StreamingResponse(body(), media_type="text/event-stream")


async def early(request: Request) -> PlainTextResponse:
    raise RuntimeError("failed before the first byte")


async def small(request: Request) -> PlainTextResponse:
    response = PlainTextResponse("small", status_code=201)
    response.set_cookie("a", "1")
    response.set_cookie("b", "2")
    return response


app = Starlette(
    routes=[
        Route("/chunks", chunks),
        Route("/events", events),
        Route("/early", early),
        Route("/small", small),
    ]
)
handler = lambda_handler(app)


def wsgi_app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])

    def body() -> Iterator[bytes]:
        for i in range(5):
            if i:
                time.sleep(0.1)
            yield f"chunk {i} {time.time():.6f}\n".encode()

    return body()


wsgi_handler = lambda_handler(wsgi_app, interface="wsgi")


async def go(request: Request) -> RedirectResponse:
    return RedirectResponse(str(request.url_for("small")), status_code=302)


app.router.routes.append(Route("/go", go))  # to /small, named after its endpoint
