"""Helpers shared by the suite: free ports, HTTP calls, Prometheus samples, server processes, and
OCI images run by umoci and runc."""

from __future__ import annotations

import contextlib
import json
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
ALOFT = [str(Path(sys.executable).parent / "aloft")]


def ctrl_c_reaches(argv: list[str]) -> list[str]:
    """`argv` started with SIGINT at its default, as an interactive shell starts a foreground
    command, for a child a test stops with SIGINT as Ctrl-C would. A test run started in the
    background (`cmd &` in a script, as CI may do) inherits SIGINT ignored, an ignored signal stays
    ignored across exec, and the child would never see the test's Ctrl-C. (A wrapper that execs,
    not preexec_fn, which is unsafe in a process with threads.)"""
    reset = "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    reset += "os.execv(sys.argv[1], sys.argv[1:])"
    return [sys.executable, "-c", reset, *argv]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def command(self, *args: str) -> str:
        done = subprocess.run(
            ["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True, check=True
        )
        return done.stdout.strip()


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> Response:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return Response(
                reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read()
            )
    except urllib.error.HTTPError as err:
        return Response(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


@dataclass
class Server:
    """A running `aloft run` (or `python -m aloft.runtime serve`) process and its parsed stdout."""

    process: subprocess.Popen[str]
    lines: list[dict[str, Any]] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    base: str = ""
    health_path: str = "/healthz"
    _events: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)

    def start_readers(self) -> None:
        def read_stdout() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.raw.append(line)
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    record = {"unparsed": line}
                self.lines.append(record)
                self._events.put(record)

        def read_stderr() -> None:
            assert self.process.stderr is not None
            for line in self.process.stderr:
                self.stderr.append(line)

        threading.Thread(target=read_stdout, daemon=True).start()
        threading.Thread(target=read_stderr, daemon=True).start()

    def wait_for(self, predicate: Any, timeout: float = 20) -> dict[str, Any]:
        for record in list(self.lines):
            if predicate(record):
                return record
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                record = self._events.get(timeout=0.1)
            except queue.Empty:
                if self.process.poll() is not None and self._events.empty():
                    break
                continue
            if predicate(record):
                return record
        raise AssertionError(
            f"no such log line within {timeout}s; exit={self.process.poll()}; "
            f"stderr={''.join(self.stderr)[-2000:]}; stdout tail={''.join(self.raw[-15:])}"
        )

    def wait_listening(self, workers: int = 1, timeout: float = 30) -> str:
        record = self.wait_for(lambda r: r.get("message", "").startswith("listening on"), timeout)
        port = record["address"].rsplit(":", 1)[1]
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if http("GET", self.base + self.health_path, timeout=2).status == 200:
                    break
            time.sleep(0.05)
        while self.workers_ready() < workers and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.base

    def workers_ready(self) -> int:
        """Workers that can take requests: ASGI ones once the app's startup has run."""
        starting = next((r for r in self.lines if r.get("message") == "starting"), {})
        wanted = (
            "Application startup complete."
            if starting.get("interface") == "asgi"
            else "Booting worker"
        )
        return sum(1 for r in self.lines if str(r.get("message", "")).startswith(wanted))

    def get(self, path: str, **kwargs: Any) -> Response:
        return http("GET", self.base + path, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> Response:
        return http(method, self.base + path, **kwargs)

    def access_lines(self) -> list[dict[str, Any]]:
        return [r for r in self.lines if r.get("logger") == "aloft.access"]

    def terminate(self, timeout: float = 40) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus exposition, 0 when absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)$"
    for line in text.splitlines():
        found = re.match(pattern, line)
        if found:
            return float(found.group(1))
    return 0.0


def need(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not installed; run scripts/bootstrap --tests "
            "(scripts/packages/tests.txt)"
        )


def unpack_image(image: str, bundle: Path) -> None:
    """umoci's runtime bundle of an image in an OCI layout (`layout-folder:tag`)."""
    need("umoci", "runc")
    unpacked = subprocess.run(
        ["umoci", "unpack", "--image", image, str(bundle)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert unpacked.returncode == 0, unpacked.stderr


def runc_config(
    bundle: Path,
    *,
    env: Mapping[str, str] | None = None,
    args: list[str] | None = None,
    read_only: bool = True,
    write_to: str = "config.json",
) -> dict[str, Any]:
    """The bundle's config as the tests run images, written to `write_to` and returned.

    No terminal, and the host network: servers in tests bind loopback, and a Lambda container
    reaches the emulator's Runtime API on 127.0.0.1. With `read_only`, a read-only root and a
    tmpfs at /tmp, as Kubernetes runs a pod with readOnlyRootFilesystem and an emptyDir, and as
    Lambda runs an image.
    """
    config: dict[str, Any] = json.loads((bundle / "config.json").read_text())
    config["process"]["terminal"] = False
    if args is not None:
        config["process"]["args"] = args
    config["process"]["env"] += [f"{k}={v}" for k, v in (env or {}).items()]
    if read_only:
        config["root"]["readonly"] = True
        config["mounts"].append(
            {
                "destination": "/tmp",
                "type": "tmpfs",
                "source": "tmpfs",
                "options": ["nosuid", "nodev", "mode=1777", "size=16m"],
            }
        )
    config["linux"]["namespaces"] = [
        n for n in config["linux"]["namespaces"] if n["type"] != "network"
    ]
    (bundle / write_to).write_text(json.dumps(config))
    return config


@contextlib.contextmanager
def runc_run(
    bundle: Path,
    prefix: str,
    *,
    stdout: int | IO[str] = subprocess.PIPE,
    stderr: int | IO[str] = subprocess.STDOUT,
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`runc run` on the bundle in the background: (container name, process); the container is
    always deleted and the process reaped after, whatever the test did."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        ["runc", "run", "--bundle", str(bundle), name],
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        text=True,
    )
    try:
        yield name, process
    finally:
        subprocess.run(["runc", "delete", "-f", name], capture_output=True, check=False)
        if process.poll() is None:
            process.kill()
        process.wait(10)
