"""Helpers shared by the image tests: a tiny locked project, and the CLIs that read images."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from testkit import need

ALOFT = str(Path(sys.executable).parent / "aloft")


TINY_PYPROJECT = """\
[project]
name = "tiny"
version = "1.2.3"
requires-python = ">=3.10"
dependencies = [{deps}]

[tool.aloft]
app = "tiny:app"
port = 8000
"""

TINY_APP = """\
import os

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def home(request):
    return JSONResponse({"message": "hello", "uid": os.getuid()})

app = Starlette(routes=[Route("/", home)])
"""


def make_project(
    folder: Path,
    deps: str = '"starlette>=0.37", "pydantic-core>=2"',
    app: str = TINY_APP,
    lock: bool = True,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(TINY_PYPROJECT.format(deps=deps))
    (folder / "tiny.py").write_text(app)
    if lock:
        result = subprocess.run(
            ["uv", "lock", "--quiet", "--project", str(folder)],
            check=False,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
    return folder


def aloft(
    *args: str, cache: Path, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ALOFT_") and k != "SOURCE_DATE_EPOCH"
    }
    environ["ALOFT_CACHE_DIR"] = str(cache)
    environ.update(env or {})
    return subprocess.run(
        [ALOFT, *args], check=False, capture_output=True, text=True, env=environ, timeout=timeout
    )


def skopeo(*args: str) -> subprocess.CompletedProcess[str]:
    need("skopeo")
    result = subprocess.run(
        ["skopeo", *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RegistryServer:
    host: str
    root: Path
    process: subprocess.Popen[bytes]

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def has_manifest(self, repository: str, reference: str, auth: Any = None) -> bool:
        accept = (
            "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json"
        )
        reply = httpx.head(
            self.url(f"/v2/{repository}/manifests/{reference}"),
            headers={"Accept": accept},
            auth=auth,
        )
        return reply.status_code == 200

    def has_blob(self, repository: str, digest: str, auth: Any = None) -> bool:
        return (
            httpx.head(self.url(f"/v2/{repository}/blobs/{digest}"), auth=auth).status_code == 200
        )


def start_registry(folder: Path, extra: str = "") -> RegistryServer:
    need("docker-registry")
    storage = folder / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    for _ in range(5):
        port = free_port()
        config = folder / "config.yml"
        config.write_text(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{port}\n" + extra
        )
        log = (folder / "registry.log").open("wb")
        process = subprocess.Popen(
            ["docker-registry", "serve", str(config)], stdout=log, stderr=log
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"http://127.0.0.1:{port}/v2/", timeout=1).status_code in (200, 401):
                    return RegistryServer(f"127.0.0.1:{port}", folder, process)
            time.sleep(0.05)
        process.kill()
        process.wait()
    pytest.fail(f"docker-registry did not start; see {folder / 'registry.log'}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
