"""A read-only root without a tmpfs at /tmp (docker run --read-only, readOnlyRootFilesystem).

The folders are made read-only for the server alone, in a private mount namespace (root only).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from testkit import Server

APP = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]
"""
# Each folder bound onto itself read-only: its files stay readable (the app lives under /tmp).
READ_ONLY = (
    'for d in "$@"; do mount --bind "$d" "$d" && mount -o remount,bind,ro "$d" || exit 97; done'
)

needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="a private mount namespace needs root and unshare",
)


def _command(folders: list[str]) -> list[str]:
    script = f"{READ_ONLY}; exec {sys.executable} -m aloft.runtime serve"
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", *folders]


@needs_root
def test_without_any_writable_temporary_folder_start_fails_in_one_line(
    tmp_path: Path,
) -> None:
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "attack_app.py").write_text(textwrap.dedent(APP))
    env = {k: v for k, v in os.environ.items() if k not in ("TMPDIR", "TEMP", "TMP")}
    env.update({"ALOFT_APP": "attack_app:app", "ALOFT_HOST": "127.0.0.1", "ALOFT_PORT": "0"})
    env["PYTHONPATH"] = str(app_dir)
    done = subprocess.run(
        _command(["/tmp", "/var/tmp", "/dev/shm", str(app_dir)]),
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert lines[0].startswith("aloft: error: no writable temporary folder")
    assert "emptyDir" in lines[0] and "TMPDIR" in lines[0]


@needs_root
def test_with_only_dev_shm_writable_the_server_serves(serve_app) -> None:
    server: Server = serve_app(
        APP,
        workers=2,
        env={"TMPDIR": "", "TEMP": "", "TMP": ""},
        command=_command(["/tmp", "/var/tmp", "{app_dir}"]),
    )
    assert server.get("/").body == b"ok"
    assert server.get("/metrics").status == 200
    starting = next(r for r in server.lines if r.get("message") == "starting")
    assert str(starting["run_dir"]).startswith("/dev/shm/aloft-")
    assert server.terminate() == 0
