"""The attack suite's server: `python -m aloft.runtime serve` on a small app written by the test.

Every server binds 127.0.0.1 on a free port, in its own process group, and is stopped after
its test (SIGTERM, then SIGKILL after a bound).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit import Server


@pytest.fixture
def serve_app(tmp_path: Path) -> Iterator[Any]:
    """Write `source` as module `attack_app` and serve its `app` with the given ALOFT_* env."""
    started: list[Server] = []

    def start(
        source: str,
        env: dict[str, str] | None = None,
        workers: int = 1,
        wait: bool = True,
        command: list[str] | None = None,
        files: dict[str, str] | None = None,
    ) -> Server:
        """`command` may name the app's folder as {app_dir}; `files` are written beside it."""
        app_dir = tmp_path / f"app{len(started)}"
        app_dir.mkdir()
        (app_dir / "attack_app.py").write_text(textwrap.dedent(source))
        for name, text in (files or {}).items():
            (app_dir / name).write_text(text)
        environ = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
        environ.update(
            {
                "ALOFT_APP": "attack_app:app",
                "ALOFT_HOST": "127.0.0.1",
                "ALOFT_PORT": "0",
                "ALOFT_WORKERS": str(workers),
                "ALOFT_DRAIN_DELAY": "0.2",
                "PYTHONPATH": str(app_dir),
                "PYTHONUNBUFFERED": "1",
            }
        )
        environ.update(env or {})
        process = subprocess.Popen(
            [part.format(app_dir=app_dir) for part in command]
            if command
            else [sys.executable, "-m", "aloft.runtime", "serve"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environ,
            cwd=str(app_dir),
            start_new_session=True,
        )
        server = Server(process)
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
                server.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(server.process.pid, signal.SIGKILL)
                server.process.wait(5)
