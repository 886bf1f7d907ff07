"""An image whose pods call AWS themselves (queue consumers, secrets by reference in CronJobs)
carries boto3, or the build names the fix before anything is built."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bundlekit import lock_project

from aloft import bundle
from aloft.config import load_config
from testkit import ALOFT

PYPROJECT = """
[project]
name = "orders"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = ["flask>=3", "aloft-runtime[{extras}]"]

[tool.uv]
package = false

[tool.uv.sources]
aloft-runtime = { path = "{runtime}", editable = true }

[tool.aloft]
app = "orders:app"

[tool.aloft.lambda.functions.api]
events = [{ type = "http_api" }]

[tool.aloft.lambda.functions.worker]
handler = "orders.handle"
events = [{ type = "sqs", queue = "orders" }]
"""
ORDERS = "from flask import Flask\napp = Flask(__name__)\n\ndef handle(event, context):\n    pass\n"


def locked_project(folder: Path, extras: str, more: str = "") -> Path:
    return lock_project(
        folder,
        PYPROJECT.replace("{extras}", extras) + more,
        {"orders.py": ORDERS},
    )


def test_a_queue_consumer_without_boto3_is_refused_with_the_fix(tmp_path: Path) -> None:
    folder = locked_project(tmp_path / "app", "wsgi")
    done = subprocess.run(
        [*ALOFT, "dockerfile", "--project", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    message = done.stderr.strip()
    assert "\n" not in message
    assert "boto3 is not in uv.lock" in message
    assert "[tool.aloft.lambda.functions.worker]" in message
    assert "uv add 'aloft-runtime[aws]'" in message
    assert not (folder / "Dockerfile").exists()


def test_the_aws_extra_or_no_consumer_passes(tmp_path: Path) -> None:
    with_extra = locked_project(tmp_path / "extra", "wsgi,aws")
    bundle.check_aws(load_config(with_extra, environ={}), bundle.read_lock(with_extra))
    off = locked_project(
        tmp_path / "off", "wsgi", "[tool.aloft.kubernetes.consumers.worker]\nenabled = false\n"
    )
    bundle.check_aws(load_config(off, environ={}), bundle.read_lock(off))
