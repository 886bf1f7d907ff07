"""Route labels are templates in every framework, also under mounts, sub-apps and includes."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from aloft.runtime import metrics
from aloft.runtime.routes import resolver_for


def _asgi_route(app: Any, path: str, root_path: str = "") -> str | None:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": root_path,
        "query_string": b"",
        "headers": [(b"host", b"api.example.com")],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    assert sent and sent[0]["status"] < 500, sent[:1]
    resolver = resolver_for(app)
    assert resolver is not None
    return resolver(scope, root_path)


def _starlette_app() -> Any:
    from fastapi import FastAPI
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Host, Mount, Route

    async def ok(request: Any) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def raw(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"raw"})

    sub = FastAPI()

    @sub.get("/orders/{order_id}")
    def order(order_id: int) -> dict[str, int]:
        return {"id": order_id}

    return Starlette(
        routes=[
            Route("/items/{item_id:int}", ok),
            Mount(
                "/t/{tenant}",
                routes=[
                    Route("/info", ok),
                    Mount("/u/{user}", routes=[Route("/profile/{section}", ok)]),
                ],
            ),
            Mount("/v1/{region}", app=sub),
            Mount("/static/{bucket}", app=raw),
            Host("{sub}.example.com", app=Starlette(routes=[Route("/h/{x}", ok)])),
        ]
    )


@pytest.mark.parametrize(
    "path,template",
    [
        ("/items/7", "/items/{item_id}"),
        ("/t/acme/info", "/t/{tenant}/info"),
        ("/t/acme/u/42/profile/billing", "/t/{tenant}/u/{user}/profile/{section}"),
        ("/v1/eu-west-1/orders/9", "/v1/{region}/orders/{order_id}"),
        ("/static/b-123/img/logo.png", "/static/{bucket}/{path}"),
        ("/h/one", "/h/{x}"),
    ],
)
def test_starlette_mounts_sub_apps_and_hosts_give_templates(path: str, template: str) -> None:
    assert _asgi_route(_starlette_app(), path) == template


def test_a_mount_under_a_root_path_is_still_a_template() -> None:
    assert _asgi_route(_starlette_app(), "/api/t/acme/info", "/api") == "/t/{tenant}/info"


def test_flask_blueprints_with_variable_prefixes_give_templates() -> None:
    from flask import Blueprint, Flask

    from aloft.runtime.routes import flask as flask_routes

    app = Flask("bp")
    tenant = Blueprint("tenant", "bp", url_prefix="/t/<tenant>")
    user = Blueprint("user", "bp", url_prefix="/u/<int:user>")

    @user.get("/profile")
    def profile(tenant: str, user: int) -> str:
        return "ok"

    tenant.register_blueprint(user)
    app.register_blueprint(tenant)
    resolver = resolver_for(app)
    assert resolver is not None
    environ: dict[str, Any] = {}

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        environ["status"] = status

    from werkzeug.test import EnvironBuilder

    request_environ = EnvironBuilder(path="/t/acme/u/42/profile").get_environ()
    b"".join(app(request_environ, start_response))
    assert environ["status"].startswith("200")
    assert flask_routes.resolve(request_environ, "") == "/t/{tenant}/u/{user}/profile"


def test_django_includes_and_re_path_give_templates(tmp_path: Any) -> None:
    """In a fresh interpreter: Django's settings are process-wide."""
    (tmp_path / "inc_urls.py").write_text(
        textwrap.dedent(
            """
            from django.http import HttpResponse
            from django.urls import include, path, re_path

            def ok(request, **kwargs):
                return HttpResponse("ok")

            inner = [path("info/<int:n>", ok), re_path(r"^raw/(?P<slug>[a-z]+)$", ok)]
            urlpatterns = [
                path("t/<str:tenant>/", include(inner)),
                re_path(r"^r/(?P<region>[a-z]{2}-[a-z]+)/", include(inner)),
            ]
            """
        )
    )
    code = textwrap.dedent(
        """
        import django
        from django.conf import settings
        settings.configure(ROOT_URLCONF="inc_urls", ALLOWED_HOSTS=["*"], DEBUG=False)
        django.setup()
        from aloft.runtime.routes.django import resolve
        for p in ("/t/acme/info/3", "/t/acme/raw/abc", "/r/eu-west/info/4", "/r/eu-west/raw/x"):
            print(resolve({"PATH_INFO": p}, ""))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == [
        "/t/{tenant}/info/{n}",
        "/t/{tenant}/raw/{slug}",
        "/r/{region}/info/{n}",
        "/r/{region}/raw/{slug}",
    ]


def test_series_beyond_the_cap_are_counted_under_other_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    m = metrics.Metrics(None)
    with caplog.at_level(logging.WARNING, logger="aloft.metrics"):
        for i in range(metrics.MAX_SERIES + 500):
            m.request_finished("GET", f"/raw/{i}", 200, 0.001)
    text = metrics.scrape(m)
    assert text.count("http_requests_total{") == metrics.MAX_SERIES + 1
    assert 'http_requests_total{method="GET",route="_other",status="200"} 500' in text
    assert sum("more than" in r.getMessage() for r in caplog.records) == 1


def test_the_archive_keeps_at_most_the_cap_of_series(tmp_path: Any) -> None:
    run_dir = str(tmp_path)
    for pid, offset in ((101, 0), (102, metrics.MAX_SERIES - 10)):
        worker = metrics.Store(metrics.worker_file(run_dir, pid))
        for i in range(offset, offset + 100):
            key = metrics.REQUESTS + metrics.SEP + "GET" + metrics.SEP + f"/r/{i}"
            worker.add(key + metrics.SEP + "200", 1.0)
        if pid == 101:  # fill the archive up to 10 below the cap
            for i in range(100, metrics.MAX_SERIES - 10):
                key = metrics.REQUESTS + metrics.SEP + "GET" + metrics.SEP + f"/r/{i}"
                worker.add(key + metrics.SEP + "200", 1.0)
        metrics.fold_dead_worker(run_dir, pid)
    text = metrics.scrape(metrics.Metrics(run_dir))
    assert text.count("http_requests_total{") == metrics.MAX_SERIES + 1
    assert 'http_requests_total{method="GET",route="_other",status="200"} 90' in text
