"""Where a project's lock and environment live: its own folder, or the root of the uv workspace
that lists it as a member (uv keeps a member's uv.lock and .venv there).

The one answer for packaging (`aloft.bundle`), serving (`aloft.local`) and the project's Python
(`aloft.pythons`): a folder above that is not our workspace, or does not list us, is not ours.
"""

from __future__ import annotations

import fnmatch
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def workspace_root(root: Path) -> Path | None:
    """The folder above `root` whose `[tool.uv.workspace]` lists it as a member, if any."""
    for folder in root.parents:
        if _lists_member(folder, root):
            return folder
    return None


def project_lock(root: Path) -> Path | None:
    """The uv.lock that governs the project: its own, else its workspace's; None if neither."""
    if (root / "uv.lock").is_file():
        return root / "uv.lock"
    workspace = workspace_root(root)
    if workspace is not None and (workspace / "uv.lock").is_file():
        return workspace / "uv.lock"
    return None


def _lists_member(folder: Path, root: Path) -> bool:
    try:
        with (folder / "pyproject.toml").open("rb") as file:
            workspace = tomllib.load(file).get("tool", {}).get("uv", {}).get("workspace")
    except (OSError, tomllib.TOMLDecodeError):
        return False
    if not isinstance(workspace, dict):
        return False
    member = root.relative_to(folder).as_posix()

    def matches(patterns: object) -> bool:
        return isinstance(patterns, list) and any(
            isinstance(glob, str) and fnmatch.fnmatchcase(member, glob.rstrip("/"))
            for glob in patterns
        )

    return matches(workspace.get("members")) and not matches(workspace.get("exclude"))
