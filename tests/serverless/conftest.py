"""Fixtures of the serverless tests: the Serverless Framework, which reads back the serverless.yml
aloft writes. The moto server (AWS APIs on 127.0.0.1) is in tests/conftest.py: the runtime's
Lambda tests use it too."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lambdakit import SLS_PRELOAD

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def serverless() -> Path:
    """The framework's executable, installed once per machine by install_serverless.sh."""
    run = subprocess.run(
        ["sh", str(HERE / "install_serverless.sh")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return Path(run.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def sls_env(
    serverless: Path, moto_server: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The framework's environment: a private HOME, no telemetry, every AWS call to moto."""
    home = tmp_path_factory.mktemp("sls-home")
    preload = home / "aws-endpoint.js"
    preload.write_text(SLS_PRELOAD)
    modules = serverless.resolve().parents[2]  # .../node_modules/serverless/bin/serverless.js
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),  # the framework keeps its state in ~/.serverless
        "SLS_TELEMETRY_DISABLED": "1",
        "SLS_NOTIFICATIONS_MODE": "off",
        "SLS_AWS_REQUEST_MAX_RETRIES": "0",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "NODE_OPTIONS": f"--require {preload}",
        "ALOFT_SLS_AWS_SDK": str(modules / "aws-sdk"),
        "ALOFT_SLS_AWS_ENDPOINT": moto_server,
    }
