"""Every bundled example's uv.lock matches its pyproject and the runtime it depends on.

The examples depend on aloft-runtime from this repository (a path source), so a change to the
runtime's metadata (a new extra) makes their locks stale; `aloft build` then refuses them, which
a cluster test would otherwise be the first to find, many minutes in.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROJECTS = sorted(p.parent for p in EXAMPLES.glob("*/pyproject.toml"))


def test_there_are_examples_to_check() -> None:
    assert len(PROJECTS) >= 4, PROJECTS


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_the_lock_is_current(project: Path) -> None:
    uv = shutil.which("uv")
    assert uv, "uv is installed by scripts/bootstrap"
    done = subprocess.run(
        [uv, "lock", "--check", "--offline"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"examples/{project.name}: run `uv lock` there\n{done.stderr}"
