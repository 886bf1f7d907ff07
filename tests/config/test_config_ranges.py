"""Values that pass the types but crash at run time: each is one line naming the place and the fix,
exit 2, through the real CLI (issue 13 item 11)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

ALOFT = str(Path(sys.executable).with_name("aloft"))
BASE = '[project]\nname = "demo"\nversion = "0"\n\n[tool.aloft]\napp = "demo_app:app"\n'
WSGI_APP = textwrap.dedent(
    """
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hi"]
    """
)


def aloft(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
    environ.update(env or {})
    return subprocess.run(
        [ALOFT, *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def one_line_exit_2(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("port = 99999\n", "[tool.aloft] port = 99999: not a TCP port"),
        ("drain_timeout = inf\n", "[tool.aloft] drain_timeout = inf: must be a finite number"),
        ("drain_timeout = nan\n", "[tool.aloft] drain_timeout = nan: must be a finite number"),
        ("drain_delay = -1\n", "drain_delay = -1.0: must be at least 0 seconds"),
        (
            "gc_thresholds = [1, 2, 3, 4, 5]\n",
            "gc_thresholds = [1, 2, 3, 4, 5]: gc.set_threshold takes at most 3 values",
        ),
        ("ready_timeout = -1\n", "ready_timeout = -1.0: must be more than 0 seconds"),
        ('health_path = "healthz"\n', 'health_path = "healthz": a URL path starting with "/"'),
        ("log_sample_rate = 7\n", "log_sample_rate = 7.0: a share of requests"),
        ("environments = 5\n", "[tool.aloft] environments = 5: not a table"),
        ("[tool.aloft.environments]\nprod = 5\n", "prod = 5: not a table"),
        ("threads = 0\n", "threads = 0: must be at least 1"),
    ],
)
def test_out_of_range_config_is_one_line_and_exit_2(
    tmp_path: Path, toml: str, expected: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(BASE + toml)
    line = one_line_exit_2(aloft("config", "show", cwd=tmp_path))
    assert "pyproject.toml" in line
    assert expected in line


def test_out_of_range_overlay_names_the_environment_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        BASE + "[tool.aloft.environments.prod]\nport = 70000\n"
    )
    line = one_line_exit_2(aloft("config", "show", "--env", "prod", cwd=tmp_path))
    assert "[tool.aloft.environments.prod] port = 70000: not a TCP port" in line


def test_negative_workers_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(BASE)
    done = aloft("config", "show", cwd=tmp_path, env={"ALOFT_WORKERS": "-1"})
    line = one_line_exit_2(done)
    assert "environment ALOFT_WORKERS" in line and "workers = -1: must be 0" in line


def test_five_gc_thresholds_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(BASE)
    done = aloft("config", "show", cwd=tmp_path, env={"ALOFT_GC_THRESHOLDS": "1,2,3,4,5"})
    assert "at most 3 values" in one_line_exit_2(done)


def test_project_that_is_not_a_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('project = "x"\n\n[tool.aloft]\napp = "a:b"\n')
    line = one_line_exit_2(aloft("config", "show", cwd=tmp_path))
    assert 'project = "x" is not a table' in line


def test_pyproject_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(
        b'[project]\nname = "caf\xe9"\n\n[tool.aloft]\napp = "a:b"\n'
    )
    line = one_line_exit_2(aloft("config", "show", cwd=tmp_path))
    assert "not UTF-8 text (byte 0xe9" in line


def test_run_refuses_a_port_out_of_range_before_starting(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(BASE + "port = 99999\n")
    line = one_line_exit_2(aloft("run", cwd=tmp_path))
    assert "port = 99999: not a TCP port" in line


def test_run_with_a_missing_relative_python_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(BASE)
    line = one_line_exit_2(aloft("run", "--python", "venv/bin/python", cwd=tmp_path))
    assert "--python venv/bin/python: no executable file at" in line


def test_run_with_a_relative_python_serves(tmp_path: Path) -> None:
    """The server starts in the project folder: a relative --python must still find the
    interpreter it named from where the user typed it."""
    project = tmp_path / "project"
    project.mkdir()
    port = _free_port()
    (project / "pyproject.toml").write_text(BASE + f'port = {port}\nhost = "127.0.0.1"\n')
    (project / "demo_app.py").write_text(WSGI_APP)
    # `venv/bin/python` relative to where the user stands, not to the project folder.
    cwd = tmp_path / "work"
    cwd.mkdir()
    (cwd / "venv").symlink_to(Path(sys.executable).parent.parent)
    relative = "venv/bin/python"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
    process = subprocess.Popen(
        [ALOFT, "run", "--project", str(project), "--python", relative, "--workers", "1"],
        cwd=cwd,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = _wait_for(f"http://127.0.0.1:{port}/", process)
        assert body == b"hi"
    finally:
        process.terminate()
        process.wait(timeout=40)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[str], timeout: float = 30) -> bytes:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited {process.returncode}: {process.stderr.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bytes(response.read())
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout}s")
