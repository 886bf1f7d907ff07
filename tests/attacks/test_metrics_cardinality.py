"""Attacks on /metrics: ids in mounted paths, label values that break keys, a poisoned archive."""

from __future__ import annotations

import os
import time

from aloft.runtime import metrics
from testkit import Server, metric

MOUNTED_APP = """
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route


async def info(request):
    return PlainTextResponse(request.path_params["tenant"])


app = Starlette(routes=[Mount("/t/{tenant}", routes=[Route("/info", info)])])
"""


def test_ids_in_a_mounted_path_make_one_series_and_a_separator_in_a_path_breaks_nothing(
    serve_app,
) -> None:
    server: Server = serve_app(MOUNTED_APP)
    deadline = time.monotonic() + 30
    for i in range(200):
        assert server.get(f"/t/tenant-{i}/info").status == 200
        assert time.monotonic() < deadline
    # The key separator inside a label value once made every later /metrics a 500.
    assert server.get("/t/a%1Fb/info").status == 200
    reply = server.get("/metrics")
    assert reply.status == 200
    text = reply.body.decode()
    assert (
        metric(text, "http_requests_total", method="GET", route="/t/{tenant}/info", status="200")
        == 201
    )
    assert text.count("http_requests_total{") == 1, text[:2000]
    assert server.get("/metrics").status == 200


def test_a_malformed_entry_in_the_archive_is_skipped_and_counted(serve_app) -> None:
    server: Server = serve_app(MOUNTED_APP)
    assert server.get("/t/acme/info").status == 200
    run_dir = next(r["run_dir"] for r in server.lines if r.get("message") == "starting")
    # What an older aloft archived for a request to /t/a%1Fb/info: four label values, not three.
    archive = metrics.Store(os.path.join(run_dir, "archive.db"))
    archive.add(metrics.REQUESTS + "\x1fGET\x1f/t/a\x1fb/info\x1f200", 1.0)
    archive.add(metrics.DURATION + "\x1fGET\x1f/t/a\x1fb/info\x1f3", 1.0)
    reply = server.get("/metrics")
    assert reply.status == 200
    text = reply.body.decode()
    assert metric(text, "aloft_metrics_skipped_entries") == 2
    assert (
        metric(text, "http_requests_total", method="GET", route="/t/{tenant}/info", status="200")
        == 1
    )
    assert any(
        str(r.get("message", "")).startswith("metrics: skipped 2 malformed entries")
        for r in server.lines
    ) or server.wait_for(lambda r: "malformed entries" in str(r.get("message", "")), 5)
