"""`aloft run` outside a container listens on loopback unless told otherwise, and says so."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import textwrap
from pathlib import Path

import pytest

from aloft.config import load_config
from aloft.local import server as serving
from testkit import ALOFT, EXAMPLES, REPO, free_port


def _run_until_listening(*args: str, port: int) -> tuple[str, str]:
    """(address of the first listener, stderr) of a real `aloft run` of the Flask example."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ALOFT_") and k not in ("container", "KUBERNETES_SERVICE_HOST")
    }
    environ.update(
        {"ALOFT_PORT": str(port), "ALOFT_WORKERS": "1", "REDIS_URL": "redis://127.0.0.1:1/0"}
    )
    process = subprocess.Popen(
        [*ALOFT, "run", "--project", str(EXAMPLES / "flask"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
        cwd=str(REPO),
        start_new_session=True,
    )
    address = ""
    try:
        assert process.stdout is not None
        for line in process.stdout:
            record = json.loads(line)
            if str(record.get("message", "")).startswith("listening on"):
                address = record["address"]
                break
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert address, stderr
    return address, stderr


def test_run_binds_loopback_outside_a_container_and_all_interfaces_inside() -> None:
    port = free_port()
    address, stderr = _run_until_listening(port=port)
    if serving.in_container():  # this machine may itself be a container (/.dockerenv)
        assert address == f"0.0.0.0:{port}"
        assert "outside a container" not in stderr
    else:
        assert address == f"127.0.0.1:{port}"
        assert "listening on 127.0.0.1 only (outside a container)" in stderr


def test_an_explicit_host_is_honoured_without_a_note() -> None:
    port = free_port()
    address, stderr = _run_until_listening("--host", "0.0.0.0", port=port)
    assert address == f"0.0.0.0:{port}"
    assert "outside a container" not in stderr


def test_development_host_outside_a_container(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not in a container cannot be produced on a machine that is one: the check is replaced."""
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent('[project]\nname = "d"\n[tool.aloft]\napp = "a:b"\n')
    )
    monkeypatch.setattr(serving, "in_container", lambda: False)
    resolved = load_config(tmp_path, environ={})
    host, note = serving.development_host(resolved, None)
    assert host == "127.0.0.1" and note and "--host 0.0.0.0" in note
    assert serving.development_host(resolved, "0.0.0.0") == ("0.0.0.0", None)
    configured = load_config(tmp_path, environ={"ALOFT_HOST": "0.0.0.0"})
    assert serving.development_host(configured, None) == ("0.0.0.0", None)
