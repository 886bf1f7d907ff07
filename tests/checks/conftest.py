"""Fixtures for doctor's rule corpus; the helpers they use live in checkkit.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from checkkit import RunRule, run_rule


@pytest.fixture
def check(tmp_path: Path) -> RunRule:
    """check(RULE, code_or_files) -> sorted (path, line) of RULE's findings."""

    def run(rule: str, files: dict[str, str] | str, name: str = "app.py") -> list[tuple[str, int]]:
        return sorted(
            (f.location.path, f.location.line) for f in run_rule(tmp_path, rule, files, name)
        )

    return run


@pytest.fixture
def messages(tmp_path: Path) -> Callable[..., list[str]]:
    def run(rule: str, files: dict[str, str] | str, name: str = "app.py") -> list[str]:
        return [f.message for f in run_rule(tmp_path, rule, files, name)]

    return run
