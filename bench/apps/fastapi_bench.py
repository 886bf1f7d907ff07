"""One FastAPI app three ways for bench/throughput.py: bare, with aloft, with the instrumentator."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI


def make_app() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, Any]:
        return {"id": item_id, "name": "pen", "price_cents": 250}

    return app


def bare() -> Any:
    return make_app()


def aloft() -> Any:
    """All of aloft's middleware: JSON access log, RED metrics, request and trace ids."""
    from aloft.runtime import logs
    from aloft.runtime.asgi import AloftASGI
    from aloft.runtime.options import ServeOptions

    logs.configure("bench", "info")
    return AloftASGI(make_app(), ServeOptions(app="bench", service="bench"))


def instrumented() -> Any:
    from prometheus_fastapi_instrumentator import Instrumentator

    app = make_app()
    Instrumentator().instrument(app).expose(app)
    return app
