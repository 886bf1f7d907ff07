"""The environments a project declares (`[tool.aloft.environments.NAME]`): Kustomize overlays."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def environment_names(pyproject: Path) -> list[str]:
    with pyproject.open("rb") as fh:
        document = tomllib.load(fh)
    table = document.get("tool", {}).get("aloft", {}).get("environments", {})
    return sorted(table) if isinstance(table, dict) else []
