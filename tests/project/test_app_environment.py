"""`aloft run` picks and syncs the app's own environment, and never uninstalls anything from it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from aloft.local.environment import app_environment, app_python
from aloft.workspace import project_lock


def uv(*args: str, cwd: Path) -> None:
    done = subprocess.run(["uv", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())


def installed(python: Path, name: str) -> bool:
    done = subprocess.run([str(python), "-c", f"import {name}"], capture_output=True, check=False)
    return done.returncode == 0


def test_sync_for_run_keeps_the_dev_dependencies(tmp_path: Path) -> None:
    # iniconfig stands in for aloft-cli as a dev dependency (pytest's own, so in uv's cache).
    write(
        tmp_path / "pyproject.toml",
        """
        [project]
        name = "devdep"
        version = "0.1.0"
        requires-python = ">=3.10"
        dependencies = []

        [dependency-groups]
        dev = ["iniconfig"]

        [tool.uv]
        package = false
        """,
    )
    uv("sync", "--quiet", cwd=tmp_path)
    venv_python = tmp_path / ".venv" / "bin" / "python"
    assert installed(venv_python, "iniconfig")
    assert app_python(tmp_path) == venv_python
    assert installed(venv_python, "iniconfig"), "syncing for aloft run uninstalled a dev dependency"


def test_workspace_member_runs_in_the_workspace_environment(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.uv.workspace]\nmembers = ["apps/*"]\n')
    member = tmp_path / "apps" / "web"
    write(
        member / "pyproject.toml",
        """
        [project]
        name = "web"
        version = "0.1.0"
        requires-python = ">=3.10"
        dependencies = ["iniconfig"]

        [tool.uv]
        package = false
        """,
    )
    uv("lock", "--quiet", cwd=tmp_path)
    assert project_lock(member) == tmp_path / "uv.lock"
    assert app_environment(member) == tmp_path / ".venv"
    python = app_python(member)
    assert python == tmp_path / ".venv" / "bin" / "python" and python != Path(sys.executable)
    assert installed(python, "iniconfig")


def test_a_folder_outside_any_workspace_has_no_lock(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.uv.workspace]\nmembers = ["apps/*"]\n')
    (tmp_path / "uv.lock").write_text("")
    stray = tmp_path / "tools" / "x"
    stray.mkdir(parents=True)
    assert project_lock(stray) is None
    assert app_environment(stray) == stray / ".venv"
