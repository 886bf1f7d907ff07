"""Fixtures shared by the whole suite: real Redis and real `aloft run` server processes.

Helpers live in testkit.py (a conftest is not a module to import from).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdakit import moto, point_boto3_at
from testkit import ALOFT, EXAMPLES, REPO, RedisServer, Server, free_port

# The cluster's first test may wait this long for its binaries: scripts/bootstrap builds them in
# the background at idle priority on a machine that has none yet (tests/cluster/build.sh).
CLUSTER_BUILD_WAIT = 1800


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests on the real cluster run last, so that a cold build of its binaries overlaps with the
    rest of the suite; the first of them, whose fixture waits for that build, gets time for it."""
    on_cluster = [item for item in items if "kube_cluster" in getattr(item, "fixturenames", ())]
    if not on_cluster:
        return
    later = {id(item) for item in on_cluster}
    items[:] = [item for item in items if id(item) not in later] + on_cluster
    cached = subprocess.run(
        ["sh", str(REPO / "tests" / "cluster" / "build.sh"), "--cached"], check=False
    )
    if cached.returncode != 0:
        on_cluster[0].add_marker(pytest.mark.timeout(CLUSTER_BUILD_WAIT), append=False)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "redis-server is not installed; run scripts/bootstrap --tests "
            "(Debian package redis-server)"
        )
    folder = tmp_path_factory.mktemp("redis")
    for _ in range(5):
        port = free_port()
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = RedisServer(port, process)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(subprocess.CalledProcessError):
                if server.command("ping") == "PONG":
                    break
            time.sleep(0.05)
        if process.poll() is None:
            break
    else:
        pytest.fail("could not start redis-server on a free port")
    yield server
    process.terminate()
    process.wait(10)


@pytest.fixture
def run_server(redis_server: RedisServer) -> Iterator[Any]:
    """Start `aloft run` on an example (or any project) with a free port; stopped after the test."""
    started: list[Server] = []

    def start(
        project: Path | str,
        *args: str,
        env: dict[str, str] | None = None,
        wait: bool = True,
        workers: int = 1,
        redis_db: int = 0,
    ) -> Server:
        project = EXAMPLES / project if isinstance(project, str) else project
        environ = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
        environ.update(
            {
                "REDIS_URL": redis_server.url(redis_db),
                "DJANGO_SECRET_KEY": "test-only-django-secret-key-4f9a",
                "ALOFT_HOST": "127.0.0.1",
                "ALOFT_PORT": "0",
                "ALOFT_WORKERS": str(workers),
                "ALOFT_DRAIN_DELAY": "0.2",
                "PYTHONUNBUFFERED": "1",
            }
        )
        environ.update(env or {})
        process = subprocess.Popen(
            [*ALOFT, "run", "--project", str(project), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environ,
            cwd=str(REPO),
            # Its own process group, so a test can signal the group as `timeout` would.
            start_new_session=True,
        )
        server = Server(process, health_path=environ.get("ALOFT_HEALTH_PATH", "/healthz"))
        server.start_readers()
        started.append(server)
        if wait:
            server.wait_listening(workers)
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(30)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait(5)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A moto server (AWS APIs on 127.0.0.1), for tests/serverless and tests/runtime/aws_lambda."""
    with moto() as url:
        yield url


@pytest.fixture
def aws_env(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """boto3 pointed at the moto server, with dummy credentials (no AWS account is involved)."""
    return point_boto3_at(moto_server, monkeypatch)
