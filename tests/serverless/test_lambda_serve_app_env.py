"""`aloft lambda serve` runs the handler in the app's own environment, as `aloft run` does.

The project is made fresh outside the repository the way a user makes one (`uv init --package`,
a src/ layout), with a dependency the tool's own environment lacks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit import ALOFT, REPO, free_port

APP = """
import sys

import humanize


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = f'{{"n": "{humanize.intcomma(1234567)}", "python": "{sys.executable}"}}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body.encode()})
"""


def clean_env() -> dict[str, str]:
    """This test run's environment without the tool's virtualenv in it."""
    return {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}


def uv(*args: str, cwd: Path) -> None:
    done = subprocess.run(
        ["uv", *args], cwd=cwd, env=clean_env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]


def new_project(folder: Path, with_runtime: bool) -> Path:
    folder.mkdir()
    uv(
        "init",
        "--package",
        "--name",
        "myapp",
        "--no-workspace",
        "--python",
        "3.11",
        ".",
        cwd=folder,
    )
    uv("add", "humanize", cwd=folder)
    if with_runtime:
        uv("add", "--editable", str(REPO / "packaging" / "aloft-runtime"), cwd=folder)
    (folder / "src" / "myapp" / "main.py").write_text(APP)
    with (folder / "pyproject.toml").open("a") as pyproject:
        pyproject.write('\n[tool.aloft]\napp = "myapp.main:app"\n')
    return folder


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    project = new_project(tmp_path / "myapp", with_runtime=True)
    assert not str(project).startswith(str(REPO))
    port = free_port()
    process = subprocess.Popen(
        [*ALOFT, "lambda", "serve", "--project", str(project), "--port", str(port)],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        yield f"http://127.0.0.1:{port}", project
    finally:
        process.terminate()
        process.wait(15)


def test_the_tool_environment_lacks_the_apps_dependency() -> None:
    """The premise: were the handler run by the tool's interpreter, it could not import."""
    probe = subprocess.run([sys.executable, "-c", "import humanize"], check=False)
    assert probe.returncode != 0


def test_serve_runs_a_src_layout_app_in_its_own_environment(served: tuple[str, Path]) -> None:
    base, project = served
    deadline = time.monotonic() + 60
    while True:
        try:
            response = httpx.get(f"{base}/", timeout=20)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["n"] == "1,234,567"
    assert Path(answer["python"]).parent.parent.resolve() == (project / ".venv").resolve()


def test_an_app_environment_without_the_runtime_is_one_line_exit_2(tmp_path: Path) -> None:
    project = new_project(tmp_path / "bare", with_runtime=False)
    done = subprocess.run(
        [*ALOFT, "lambda", "serve", "--project", str(project), "--port", str(free_port())],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot import aloft.runtime.aws_lambda" in lines[0], lines
    assert "aloft-runtime" in lines[0] and "Traceback" not in done.stderr
