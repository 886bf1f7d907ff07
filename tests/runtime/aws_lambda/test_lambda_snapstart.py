"""SnapStart restores, simulated: one initialized process, copied twice, each copy serving.

A restore copies memory without telling Python: no at-fork hooks run (os.fork() would run them,
and `random` and aloft's ids reseed themselves there, hiding exactly the bug under test). So the
driver copies itself with libc's fork() through ctypes, in a process of its own with no threads.
Before the copies it runs the before-snapshot hooks with AWS's own hook runner (awslambdaric's
lambda_runtime_hooks_runner, over snapshot_restore_py), as the Lambda Python runtime does; each
copy then runs the after-restore hooks the same way and serves an API Gateway v2 invocation.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

APP = """
import json
import os
import random
import socket

from aloft.runtime import tracing
from aloft.runtime.aws_lambda import snapstart

PEER = ("127.0.0.1", int(os.environ["PEER_PORT"]))
conn = socket.create_connection(PEER, timeout=5)  # opened at init, as apps do


@snapstart.before_snapshot
def close() -> None:
    conn.close()


@snapstart.after_restore
def reopen() -> None:
    global conn
    conn = socket.create_connection(PEER, timeout=5)


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await receive()
    ids = tracing.current.get()  # the ids aloft made for this request
    body = {
        "random": random.random(),
        "request_id": ids.request_id,
        "traceparent": ids.traceparent,
        "connection": conn.getsockname()[1] if conn.fileno() >= 0 else None,
        "restores": snapstart.restores,
    }
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})
"""

DRIVER = """
import ctypes
import json
import os
import sys

MODE = sys.argv[1]  # "runtime": AWS's hook runner; "local": no snapshot_restore_py; "none"
if MODE == "local":
    sys.modules["snapshot_restore_py"] = None  # absent, as outside the Lambda runtime
else:
    os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start"

from aloft.runtime.aws_lambda import snapstart
from aloft.runtime.aws_lambda.entry import handler  # Lambda's init: import the app
from aloft.serverless.http_events import http_event


class Context:
    function_name = "orders-api"
    aws_request_id = ""  # aloft makes the request id

    def get_remaining_time_in_millis(self):
        return 10_000


def invoke():
    event = http_event("v2", "GET", "/", "", [("host", "api.test")], b"")
    response = handler(event, Context())
    body = json.loads(response["body"])
    body["status"] = response["statusCode"]
    return body


snapstart.warm("/")  # one request before the snapshot: ids and randomness drawn
if MODE == "local":
    snapstart.run_before_snapshot()
else:
    from awslambdaric import lambda_runtime_hooks_runner as runner

    assert snapstart.handed_to_runtime
    runner.run_before_snapshot()

fork = ctypes.CDLL(None, use_errno=True).fork  # a copy without Python's at-fork hooks
results = []
for _ in range(2):
    read, write = os.pipe()
    pid = fork()
    if pid == 0:
        os.close(read)
        if MODE == "local":
            snapstart.run_after_restore()
        elif MODE == "runtime":
            runner.run_after_restore()
        os.write(write, json.dumps(invoke()).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        results.append(json.loads(pipe.read()))
    os.waitpid(pid, 0)
print(json.dumps(results))
"""


class Peer:
    """A TCP server on loopback that records every connection it accepts (client ports)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted: list[int] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        held = []
        while True:
            try:
                conn, address = self.sock.accept()
            except OSError:
                return
            held.append(conn)
            self.accepted.append(address[1])

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def peer() -> Iterator[Peer]:
    server = Peer()
    yield server
    server.close()


def restore_twice(tmp_path: Path, peer: Peer, mode: str) -> list[dict[str, Any]]:
    (tmp_path / "shop.py").write_text(APP)
    (tmp_path / "driver.py").write_text(DRIVER)
    env = {
        **os.environ,
        "ALOFT_APP": "shop:app",
        "PEER_PORT": str(peer.port),
        "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path]),
    }
    env.pop("AWS_LAMBDA_RUNTIME_API", None)
    run = subprocess.run(
        [sys.executable, str(tmp_path / "driver.py"), mode],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results: list[dict[str, Any]] = json.loads(run.stdout.strip().splitlines()[-1])
    return results


def test_restored_copies_differ_in_ids_randomness_and_connections_and_each_serves(
    tmp_path: Path, peer: Peer
) -> None:
    first, second = restore_twice(tmp_path, peer, "runtime")
    assert first["status"] == second["status"] == 200
    assert first["restores"] == second["restores"] == 1
    assert first["request_id"] != second["request_id"]
    assert first["traceparent"] != second["traceparent"]
    assert first["random"] != second["random"]
    assert None not in (first["connection"], second["connection"])
    assert first["connection"] != second["connection"]
    deadline = time.monotonic() + 5
    while len(peer.accepted) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    # The connection made at init, then one of its own per restored copy.
    assert peer.accepted[1:] == [first["connection"], second["connection"]]


def test_without_the_restore_hooks_copies_repeat_each_other(tmp_path: Path, peer: Peer) -> None:
    """The simulation is faithful: copies that skip the hooks share ids and random values."""
    first, second = restore_twice(tmp_path, peer, "none")
    assert first["status"] == second["status"] == 200
    assert first["request_id"] == second["request_id"]
    assert first["random"] == second["random"]
    assert first["connection"] is second["connection"] is None  # closed before the snapshot


def test_hooks_register_and_run_without_the_lambda_runtime_module(
    tmp_path: Path, peer: Peer
) -> None:
    first, second = restore_twice(tmp_path, peer, "local")
    assert first["restores"] == second["restores"] == 1
    assert first["request_id"] != second["request_id"]
    assert first["random"] != second["random"]
    assert first["connection"] != second["connection"]
