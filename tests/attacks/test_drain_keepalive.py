"""Drain with persistent (keep-alive) clients: from SIGTERM on, every response says
`Connection: close`, so clients reconnect before the listener closes and none fails."""

from __future__ import annotations

import http.client
import os
import signal
import threading
import time

import pytest

from testkit import Server

APPS = {
    "asgi": """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    headers = [(b"content-length", b"2")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"ok"})
""",
    "wsgi": """
def app(environ, start_response):
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]
""",
}
DELAY = 2.0
CLIENTS = 8


class KeepAliveClient(threading.Thread):
    """Requests on one connection for as long as the server keeps it, then on a new one."""

    def __init__(self, port: int, stop_at: float) -> None:
        super().__init__(daemon=True)
        self.port, self.stop_at = port, stop_at
        self.ok = self.reused = self.closes = 0
        self.failures: list[str] = []
        self.refused_at: float | None = None
        self.reset_at: float | None = None

    def run(self) -> None:
        conn: http.client.HTTPConnection | None = None
        requests_on_conn = 0
        while time.monotonic() < self.stop_at and len(self.failures) < 5:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                requests_on_conn = 0
                try:
                    conn.connect()
                except ConnectionRefusedError:
                    self.refused_at = time.time()  # the listener is closed: the pod is gone
                    return
                except ConnectionResetError:
                    # The SYN met the listener as it closed: the kernel resets the handshake
                    # rather than refusing it. The same end as above, one instant earlier.
                    self.reset_at = time.time()
                    return
            try:
                conn.request("GET", "/")
                reply = conn.getresponse()
                body = reply.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                conn = None
                if requests_on_conn == 0 and isinstance(exc, ConnectionResetError):
                    # Connected into the listen backlog just as the listener closed: the kernel
                    # resets those, as it refuses later ones (the pod is gone; see the test).
                    self.reset_at = time.time()
                    return
                self.failures.append(f"{type(exc).__name__} after {requests_on_conn} requests")
                continue
            if reply.status != 200 or body != b"ok":
                self.failures.append(f"status {reply.status}")
            self.ok += 1
            self.reused += requests_on_conn > 0
            requests_on_conn += 1
            if reply.will_close:
                self.closes += 1
                conn.close()
                conn = None
            time.sleep(0.02)


@pytest.mark.parametrize("interface", ["asgi", "wsgi"])
@pytest.mark.parametrize("to_group", [False, True], ids=["master", "process-group"])
def test_keepalive_clients_see_no_failure_across_a_drain(
    serve_app, interface: str, to_group: bool
) -> None:
    server: Server = serve_app(
        APPS[interface],
        workers=2,
        env={"ALOFT_DRAIN_DELAY": str(DELAY), "ALOFT_INTERFACE": interface, "ALOFT_THREADS": "8"},
    )
    port = int(server.base.rsplit(":", 1)[1])
    clients = [KeepAliveClient(port, time.monotonic() + DELAY + 8) for _ in range(CLIENTS)]
    for client in clients:
        client.start()
    time.sleep(1.0)
    before = sum(c.closes for c in clients)
    sigterm_at = time.time()
    if to_group:
        os.killpg(os.getpgid(server.process.pid), signal.SIGTERM)
    else:
        server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(30) == 0
    for client in clients:
        client.join(15)
    failures = [f for c in clients for f in c.failures]
    assert failures == [], failures
    assert before == 0  # keep-alive held before SIGTERM: the connections really were persistent
    assert all(c.reused > 10 for c in clients)
    assert all(c.closes >= 1 for c in clients)  # each was told to reconnect
    # Every client ended on the closed listener, none before the drain delay was over.
    ended = [c.refused_at or c.reset_at for c in clients]
    assert None not in ended and min(ended) >= sigterm_at + DELAY - 0.2  # type: ignore[type-var]
