"""`aloft init` on a real pyproject.toml: the table it writes, what it refuses, what it keeps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

ALOFT = str(Path(sys.executable).parent / "aloft")

PYPROJECT = """\
# the team's own header comment
[project]
name = "demo"   # kept
version = "0.1.0"
dependencies = ["fastapi>=0.110"]

[tool.ruff]
line-length = 88
"""


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ALOFT, "init", "--project", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "main.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    return tmp_path


def test_init_writes_the_app_and_keeps_comments_and_other_tables(project: Path) -> None:
    done = run(project, "--no-add")
    assert done.returncode == 0, done.stderr
    text = (project / "pyproject.toml").read_text()
    assert text.startswith(PYPROJECT.rstrip("\n"))
    assert tomllib.loads(text)["tool"]["aloft"] == {"app": "main:app"}
    assert "aloft-runtime[asgi]" in done.stdout
    assert "aloft run" in done.stdout


def test_diff_shows_the_change_and_writes_nothing(project: Path) -> None:
    done = run(project, "--diff")
    assert done.returncode == 0, done.stderr
    assert '+app = "main:app"' in done.stdout
    assert "uv add --project" in done.stdout and "'aloft-runtime[asgi]'" in done.stdout
    assert (project / "pyproject.toml").read_text() == PYPROJECT


def test_existing_table_is_not_replaced_without_force(project: Path) -> None:
    with (project / "pyproject.toml").open("a") as file:
        file.write('\n[tool.aloft]\napp = "old:app"\nport = 9000\n')
    before = (project / "pyproject.toml").read_text()
    done = run(project, "--no-add")
    assert done.returncode == 2
    assert "[tool.aloft]: exists already (app = 'old:app')" in done.stderr
    assert "--force" in done.stderr
    assert (project / "pyproject.toml").read_text() == before
    forced = run(project, "--no-add", "--force")
    assert forced.returncode == 0, forced.stderr
    table = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["aloft"]
    assert table == {"app": "main:app", "port": 9000}


def test_nothing_detected_names_what_was_looked_for(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "util.py").write_text("x = 1\n")
    done = run(tmp_path, "--no-add")
    assert done.returncode == 1
    assert "no app object" in done.stderr and "--app module:attribute" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_given_app_unknown_to_detection_needs_the_interface(project: Path) -> None:
    done = run(project, "--no-add", "--app", "other:thing")
    assert done.returncode == 2 and "--interface" in done.stderr
    done = run(project, "--no-add", "--app", "other:thing", "--interface", "wsgi")
    assert done.returncode == 0, done.stderr
    assert "aloft-runtime[wsgi]" in done.stdout


def test_requirements_only_project_gets_one_line_naming_uv(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask('a')\n")
    done = run(tmp_path)
    assert done.returncode == 2
    assert "uv add -r requirements.txt" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "pyproject.toml").exists()


def test_runtime_present_with_the_extra_is_not_added_again(project: Path) -> None:
    text = PYPROJECT.replace('["fastapi>=0.110"]', '["fastapi>=0.110", "aloft_runtime[asgi]"]')
    (project / "pyproject.toml").write_text(text)
    done = run(project, "--diff")
    assert done.returncode == 0, done.stderr
    assert "uv add" not in done.stdout
