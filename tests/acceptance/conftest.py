"""Once per session: both wheels built from this checkout and the tool installed from them, with
the README's own commands (read from the README, so a change there is tested here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from acceptkit import REPO, Installed, readme_install_commands, sh, user_env

from testkit import need


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    need("uv", "bash")
    home = tmp_path_factory.mktemp("aloft-user")
    bin_dir = home / "bin"
    bin_dir.mkdir()
    cache = tmp_path_factory.mktemp("aloft-cache")
    env = user_env(bin_dir, cache)
    ready = Installed(home / "dist", bin_dir, cache, env)
    commands = readme_install_commands()
    build, tool, *rest = commands
    assert build.startswith("uv build ") and tool.startswith("uv tool install ")
    sh(ready.command(build), REPO, env, timeout=600)
    wheels = sorted(p.name for p in ready.dist.glob("*.whl"))
    assert [w.split("-")[0] for w in wheels] == ["aloft_cli", "aloft_runtime"], wheels
    sh(ready.command(tool), home, env, timeout=600)
    assert (bin_dir / "aloft").exists(), "uv tool install did not put `aloft` in its bin folder"
    assert [line.split()[0] for line in rest] == ["cd", "aloft"], rest
    return ready


@pytest.fixture(scope="session")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the shapes are generated: pytest's temporary folder, outside the repository."""
    folder = tmp_path_factory.mktemp("projects")
    assert REPO not in folder.resolve().parents
    return folder
