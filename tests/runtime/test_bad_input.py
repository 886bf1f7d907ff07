"""Mistakes get one clear line and a non-zero exit; a failing dependency gets a 503 naming it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from testkit import ALOFT, EXAMPLES, REPO, Server, free_port


def aloft(
    *args: str, env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ALOFT_", "REDIS_URL"))}
    environ.update(env or {})
    return subprocess.run(
        [*ALOFT, *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def project(tmp_path: Path, aloft_table: str, module: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "0"\n\n[tool.aloft]\n{textwrap.dedent(aloft_table)}'
    )
    if module:
        (tmp_path / "demo_app.py").write_text(textwrap.dedent(module))
    return tmp_path


WSGI_APP = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hi"]
"""


@pytest.mark.parametrize(
    "spec,expected",
    [
        ("nosuchmodule:app", "no module named 'nosuchmodule'"),
        ("demo_app:nope", "module demo_app has no attribute 'nope'"),
        ("demo_app", "not 'module:attribute'"),
        ("demo_app:VALUE", "VALUE is a int, not an ASGI or WSGI app"),
    ],
)
def test_bad_entry_point_is_one_line_exit_2(tmp_path: Path, spec: str, expected: str) -> None:
    folder = project(tmp_path, f'app = "{spec}"\nport = {free_port()}\n', WSGI_APP + "VALUE = 3\n")
    done = aloft("run", "--project", str(folder))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("aloft: error: ALOFT_APP=") and expected in lines[0], lines[0]


def test_app_whose_import_fails_names_the_file_and_line(tmp_path: Path) -> None:
    folder = project(
        tmp_path, 'app = "demo_app:app"\n', "import json\nraise RuntimeError('boom at import')\n"
    )
    done = aloft("run", "--project", str(folder))
    assert done.returncode == 2
    assert "RuntimeError: boom at import" in done.stderr and "demo_app.py:2" in done.stderr


@pytest.mark.parametrize(
    "table,expected",
    [
        ('app = "demo_app:app"\nport = "abc"\n', '[tool.aloft] port = "abc": not a whole number'),
        (
            'app = "demo_app:app"\nworkrs = 2\n',
            "[tool.aloft] workrs: unknown key (did you mean workers?)",
        ),
        ('app = "demo_app:app"\n[tool.aloft.tags]\nteam = "has space"\n', "tag team = 'has space'"),
        ('app = "demo_app:app"\nlog_level = "loud"\n', 'log_level = "loud"'),
    ],
)
def test_config_errors_name_file_key_and_fix_with_exit_2(
    tmp_path: Path, table: str, expected: str
) -> None:
    folder = project(tmp_path, table, WSGI_APP)
    done = aloft("run", "--project", str(folder))
    assert done.returncode == 2
    assert "pyproject.toml" in done.stderr and expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_env_override_error_names_the_variable(tmp_path: Path) -> None:
    folder = project(tmp_path, 'app = "demo_app:app"\n', WSGI_APP)
    done = aloft("config", "show", "--project", str(folder), env={"ALOFT_DRAIN_DELAY": "soon"})
    assert done.returncode == 2
    assert (
        done.stderr.strip() == "aloft: error: environment ALOFT_DRAIN_DELAY='soon': "
        "not a number; use a number such as 2.5"
    )


def test_missing_required_setting_is_reported_with_its_name() -> None:
    done = aloft(
        "run", "--project", str(EXAMPLES / "fastapi"), env={"ALOFT_PORT": str(free_port())}
    )
    assert done.returncode == 2
    assert "missing REDIS_URL (str)" in done.stderr and "Traceback" not in done.stderr


def test_serve_rejects_bad_environment_in_one_line() -> None:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
    environ.update({"ALOFT_APP": "demo:app", "ALOFT_PORT": "eighty", "ALOFT_WORKERS": "-x"})
    done = subprocess.run(
        [sys.executable, "-m", "aloft.runtime", "serve"],
        capture_output=True,
        text=True,
        env=environ,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "aloft: error: settings ServeOptions: "
        "ALOFT_PORT: expected an integer; ALOFT_WORKERS: expected an integer"
    )


def test_readiness_is_503_naming_the_failing_check_while_liveness_stays_ok(run_server) -> None:
    server: Server = run_server(
        "fastapi",
        env={"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "ALOFT_READY_TIMEOUT": "1"},
    )
    ready = server.get("/readyz")
    assert ready.status == 503
    body = ready.json()
    assert body["status"] == "not ready" and body["failing"] == ["redis"]
    # The error (it names the address) is logged for the operator, never sent to a client.
    assert body["checks"]["redis"] == {"ok": False}
    logged = server.wait_for(lambda r: "readiness check redis failing" in str(r.get("message")))
    assert "Error" in logged["message"]
    assert server.get("/healthz").status == 200
