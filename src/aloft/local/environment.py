"""The app's own environment: where uv puts its .venv, syncing it, and its interpreter.

The app runs in its environment, never in the tool's: the one production gets (no dev
dependencies), checked against the project's requires-python.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from aloft import pythons
from aloft.exceptions import OperationFailed
from aloft.workspace import project_lock


def app_environment(root: Path) -> Path:
    """The app's virtual environment as uv places it: UV_PROJECT_ENVIRONMENT, else the .venv beside
    the lock (a workspace member's is the workspace's), else the project's own .venv."""
    lock = project_lock(root)
    base = lock.parent if lock is not None else root
    configured = os.environ.get("UV_PROJECT_ENVIRONMENT")
    if configured:
        return base / configured  # an absolute value replaces base
    return base / ".venv"


def sync_command(root: Path, python: Path | None = None) -> list[str]:
    """`uv sync` for running the app: production dependencies, removing nothing.

    --no-dev keeps the served environment the one production gets; --inexact keeps what is there
    beyond it, above all aloft itself when it is one of the app's dev dependencies (an exact sync
    would uninstall the running tool). `python` is the interpreter to build the env with."""
    interpreter = ["--python", str(python)] if python is not None else []
    return [
        *("uv", "sync", "--frozen", "--quiet", "--no-dev", "--inexact"),
        *interpreter,
        *("--project", str(root)),
    ]


def app_python(root: Path, python: Path | None = None) -> Path:
    """The interpreter of the app's environment: given, else its .venv (synced from uv.lock).

    Whichever it is must satisfy the project's requires-python (a ConfigError otherwise)."""
    chosen = python or _environment_python(root)
    pythons.check_interpreter(pythons.project_python(root / "pyproject.toml"), chosen)
    return chosen


def _environment_python(root: Path) -> Path:
    lock = project_lock(root)
    if lock is not None and shutil.which("uv"):
        # The project's own version, found where uv may not look (pyenv hides it behind shims).
        project = pythons.project_python(root / "pyproject.toml")
        found = pythons.find_interpreter(project.version) if project.version else None
        done = subprocess.run(
            sync_command(root, found),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            detail = (done.stderr.strip().splitlines() or ["uv sync failed"])[-1]
            raise OperationFailed(f"{lock}: cannot sync the app's environment: {detail}")
    venv_python = app_environment(root) / "bin" / "python"
    if venv_python.exists():
        return venv_python
    return Path(sys.executable)
