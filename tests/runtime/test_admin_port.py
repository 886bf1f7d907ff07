"""Probes and metrics on the admin port only; readiness details out of public responses
(issue 13 item 9), with real servers on loopback (ASGI: FastAPI, WSGI: Flask)."""

from __future__ import annotations

import time
from http.client import HTTPConnection
from typing import Any

import pytest

from testkit import Server, free_port, http


def _get(port: int, path: str, host: str | None = None) -> tuple[int, bytes]:
    conn = HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host} if host else {})
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


def _wait(port: int, path: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _get(port, path)[0] in (200, 503):
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"nothing answered {path} on port {port} within {timeout}s")


@pytest.mark.parametrize("example", ["fastapi", "flask"])
def test_admin_port_serves_only_probes_and_metrics_and_the_app_port_none_of_them(
    run_server: Any, example: str
) -> None:
    app_port, admin_port = free_port(), free_port()
    server: Server = run_server(
        example,
        env={"ALOFT_PORT": str(app_port), "ALOFT_ADMIN_PORT": str(admin_port)},
        wait=False,
    )
    _wait(admin_port, "/healthz")
    _wait(app_port, "/")
    assert _get(app_port, "/")[0] == 200
    for path in ("/healthz", "/readyz", "/metrics"):
        assert _get(app_port, path)[0] == 404, path
        # A forged Host header naming the admin port changes nothing: the socket decides.
        assert _get(app_port, path, host=f"127.0.0.1:{admin_port}")[0] == 404, path
    assert _get(admin_port, "/healthz") == (200, b'{"status":"ok"}')
    status, body = _get(admin_port, "/readyz")
    assert status == 200 and b'"redis"' in body
    status, body = _get(admin_port, "/metrics")
    assert status == 200 and b"http_requests_total" in body
    assert _get(admin_port, "/")[0] == 404
    listening = [
        r["address"] for r in server.lines if str(r.get("message", "")).startswith("listening on")
    ]
    assert f"127.0.0.1:{admin_port}" in listening and f"127.0.0.1:{app_port}" in listening


@pytest.mark.parametrize("example", ["fastapi", "flask"])
def test_public_readiness_names_the_failing_check_but_not_its_error(
    run_server: Any, example: str
) -> None:
    dead = free_port()  # nothing listens here: the Redis check fails with a connection error
    server: Server = run_server(
        example, env={"REDIS_URL": f"redis://127.0.0.1:{dead}/0"}, wait=False
    )
    record = server.wait_for(lambda r: str(r.get("message", "")).startswith("listening on"))
    port = int(record["address"].rsplit(":", 1)[1])
    _wait(port, "/readyz")
    reply = http("GET", f"http://127.0.0.1:{port}/readyz", timeout=10)
    assert reply.status == 503
    document = reply.json()
    assert document["failing"] == ["redis"]
    assert document["checks"]["redis"] == {"ok": False}
    assert str(dead) not in reply.body.decode() and "127.0.0.1" not in reply.body.decode()
    # The detail is in the log, for the operator.
    logged = server.wait_for(lambda r: "readiness check redis failing" in str(r.get("message")))
    assert str(dead) in logged["message"]
