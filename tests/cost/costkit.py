"""Fixtures for the cost tests, imported by name: a conftest.py here would shadow others."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from aloft.cli import main
from aloft.cost.catalog import Catalog, load_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog("us-east-1")


class Result:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def aloft(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run `aloft ARGS...` as the console script does: exit code, stdout, stderr."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:  # pragma: no cover - main always exits
            code = 0
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
