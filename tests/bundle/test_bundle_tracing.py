"""With span export on, every artifact carries the OpenTelemetry SDK, or the build names the fix."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bundlekit import lock_project

from aloft import bundle
from aloft.config import load_config
from testkit import ALOFT

PYPROJECT = """
[project]
name = "traced"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["fastapi>=0.110", "aloft-runtime[{extras}]"]

[tool.uv]
package = false

[tool.uv.sources]
aloft-runtime = { path = "{runtime}", editable = true }

[tool.aloft]
app = "traced:app"

[tool.aloft.tracing]
exporter = "otlp"
endpoint = "http://collector:4318"
"""


def locked_project(folder: Path, extras: str) -> Path:
    return lock_project(
        folder,
        PYPROJECT.replace("{extras}", extras),
        {"traced.py": "from fastapi import FastAPI\napp = FastAPI()\n"},
    )


def test_lambda_zips_keep_the_runtimes_otel_extra_and_drop_its_servers(tmp_path: Path) -> None:
    folder = locked_project(tmp_path / "app", "asgi,otel")
    whole = bundle.read_lock(folder)
    names = whole.without_servers("traced").names()
    assert {"opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http", "fastapi"} <= names
    assert not names & {"gunicorn", "uvicorn", "uvicorn-worker"}
    bundle.check_tracing(load_config(folder, environ={}), whole.without_servers("traced"))


def test_tracing_without_the_sdk_in_the_lock_is_refused_before_anything_is_built(
    tmp_path: Path,
) -> None:
    folder = locked_project(tmp_path / "app", "asgi")
    done = subprocess.run(
        [*ALOFT, "dockerfile", "--project", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    message = done.stderr.strip()
    assert "[tool.aloft.tracing]" in message and "opentelemetry-sdk" in message
    assert "aloft-runtime[asgi,otel]" in message and "\n" not in message
    assert not (folder / "Dockerfile").exists()
