"""Slowloris: idle connections, half a request line, one header at a time, a promised body never
sent. Each is closed within its timeout, and the probes are answered all along."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from testkit import Server, http

APPS = {
    "asgi": """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
""",
    "wsgi": """
def app(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]
""",
}
HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
PER_KIND = 30
KINDS = ("idle", "half-line", "header-drip", "body-never-sent")


def _open(port: int, kind: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    if kind == "half-line":
        sock.sendall(b"GET /slow HT")
    elif kind == "header-drip":
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    elif kind == "body-never-sent":
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabc")
    return sock


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
            # a 408/400 answer before closing is fine; keep reading to the close
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


@pytest.mark.parametrize("interface", ["asgi", "wsgi"])
def test_slow_clients_are_cut_off_and_probes_still_answer(serve_app, interface: str) -> None:
    server: Server = serve_app(
        APPS[interface],
        env={
            "ALOFT_INTERFACE": interface,
            "ALOFT_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
            "ALOFT_BODY_TIMEOUT": str(BODY_TIMEOUT),
            "ALOFT_MAX_CONNECTIONS": "60",
            "ALOFT_THREADS": "4",
        },
    )
    port = int(server.base.rsplit(":", 1)[1])
    sockets = {kind: [_open(port, kind) for _ in range(PER_KIND)] for kind in KINDS}
    opened = time.monotonic()
    stop = threading.Event()

    def drip() -> None:  # one header line per 0.3 s on every drip connection, while it is open
        n = 0
        while not stop.is_set() and time.monotonic() - opened < 8:
            for sock in sockets["header-drip"]:
                try:
                    sock.sendall(b"X-Drip-%d: 1\r\n" % n)
                except OSError:
                    continue
            n += 1
            time.sleep(0.3)

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    # A kubelet probing all along (its default timeout is 1 s).
    slowest = 0.0
    while time.monotonic() - opened < 3.0:
        started = time.monotonic()
        assert http("GET", server.base + "/healthz", timeout=5).status == 200
        slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.1)
    assert slowest < 1.0, f"/healthz took {slowest:.2f}s under attack"
    try:
        for kind, socks in sockets.items():
            still_open = [s for s in socks if not _closed_by_server(s, 3.0)]
            assert not still_open, f"{len(still_open)} {kind} connections still open after 6 s"
    finally:
        stop.set()
        for socks in sockets.values():
            for sock in socks:
                sock.close()
    # And the server serves normally afterwards.
    assert http("POST", server.base + "/", body=b"x" * 100, timeout=5).body == b"ok"


@pytest.mark.parametrize("interface", ["asgi", "wsgi"])
def test_past_the_connection_cap_the_longest_waiting_connection_makes_room(
    serve_app, interface: str
) -> None:
    """With timeouts too long to help, the cap alone keeps the probes answered."""
    server: Server = serve_app(
        APPS[interface],
        env={
            "ALOFT_INTERFACE": interface,
            "ALOFT_HEADER_TIMEOUT": "60",
            "ALOFT_MAX_CONNECTIONS": "40",
        },
    )
    port = int(server.base.rsplit(":", 1)[1])
    first = [_open(port, "half-line") for _ in range(40)]
    time.sleep(0.3)
    later = [_open(port, "idle") for _ in range(40)]
    try:
        for _ in range(5):
            started = time.monotonic()
            assert http("GET", server.base + "/healthz", timeout=5).status == 200
            assert time.monotonic() - started < 1.0
        # The oldest waiting connections went first; the newest are still open.
        assert all(_closed_by_server(s, 3.0) for s in first)
        assert not any(_closed_by_server(s, 0.2) for s in later[-5:])
    finally:
        for sock in first + later:
            sock.close()
