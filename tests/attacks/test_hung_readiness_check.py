"""A readiness check that never returns must not take /metrics or /healthz down with it."""

from __future__ import annotations

import threading
import time

import pytest

from testkit import Server, http

HUNG_CHECK_APP = """
import threading
import time

from aloft.runtime import add_readiness_check

calls = []


def stuck():
    calls.append(1)
    time.sleep(20)  # a dependency that accepts the connection and never answers
    return True


add_readiness_check("stuck", stuck)

{app}
"""

ASGI = """
async def app(scope, receive, send):
    body = str(len(calls)).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})
"""

WSGI = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(len(calls)).encode()]
"""


@pytest.mark.parametrize("interface", ["asgi", "wsgi"])
def test_a_hung_check_runs_once_and_metrics_and_healthz_stay_fast(
    serve_app, interface: str
) -> None:
    server: Server = serve_app(
        HUNG_CHECK_APP.format(app=ASGI if interface == "asgi" else WSGI),
        env={"ALOFT_READY_TIMEOUT": "0.3", "ALOFT_INTERFACE": interface, "ALOFT_THREADS": "16"},
    )
    statuses: list[int] = []

    def probe() -> None:
        statuses.append(http("GET", server.base + "/readyz", timeout=10).status)

    # Kubernetes probes every few seconds; a probe storm makes the starvation show at once.
    probes = [threading.Thread(target=probe) for _ in range(12)]
    for thread in probes:
        thread.start()
    time.sleep(0.5)
    for _ in range(3):
        started = time.monotonic()
        assert server.get("/metrics", timeout=5).status == 200
        assert server.get("/healthz", timeout=5).status == 200
        assert time.monotonic() - started < 1.0
    for thread in probes:
        thread.join(10)
    assert statuses == [503] * 12
    body = server.get("/readyz").json()
    # The public answer names the failing check; why it fails goes to the log, not the client.
    assert body["failing"] == ["stuck"] and "error" not in body["checks"]["stuck"]
    server.wait_for(lambda r: "still running" in str(r.get("message", "")), timeout=5)
    assert server.get("/").body == b"1"  # never started again while the first run hangs
