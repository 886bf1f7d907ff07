"""Config rules point at the pyproject.toml line that set a value, however the TOML spells it."""

from __future__ import annotations

from pathlib import Path

import pytest
from checkkit import marked, write

from aloft.checks.doctor.config_file import ConfigFile
from aloft.config import load_config

HEAD = '[project]\nname = "shop"\n\n[tool.aloft]\napp = "app:app"\n'


def line(tmp_path: Path, body: str, dotted: str) -> tuple[int, list[int]]:
    text = HEAD + body
    write(tmp_path, {"pyproject.toml": text})
    project = ConfigFile(load_config(tmp_path), "pyproject.toml", text)
    return project.line_of(dotted), [number for _, number in marked(text)]


@pytest.fixture(autouse=True)
def _no_aloft_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALOFT_ENV", raising=False)


@pytest.mark.parametrize(
    "body",
    [
        "\n[tool.aloft.kubernetes]\nnamespace = 'x'\ntermination_grace = 9  # <-\n",
        "kubernetes.termination_grace = 9  # <-\n",
        '"kubernetes" . "termination_grace" = 9  # <-\n',
        "kubernetes = { termination_grace = 9 }  # <-\n",
    ],
)
def test_a_set_key_is_found_on_its_line(tmp_path: Path, body: str):
    found, want = line(tmp_path, body, "kubernetes.termination_grace")
    assert [found] == want


def test_a_default_points_at_the_table_that_would_hold_it(tmp_path: Path):
    body = "\n[tool.aloft.lambda.functions.api]  # <-\ntimeout = 3\n"
    found, want = line(tmp_path, body, "lambda.functions.api.memory")
    assert [found] == want


def test_without_its_table_the_nearest_enclosing_one_else_the_whole_file(tmp_path: Path):
    found, _ = line(tmp_path, "", "kubernetes.termination_grace")
    assert found == HEAD.splitlines().index("[tool.aloft]") + 1
    write(tmp_path, {"pyproject.toml": HEAD})
    project = ConfigFile(load_config(tmp_path), "pyproject.toml", "")
    assert project.line_of("kubernetes.termination_grace") == 0


def test_origin_names_the_table_or_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    text = HEAD + "drain_delay = 1\n"
    write(tmp_path, {"pyproject.toml": text})
    monkeypatch.setenv("ALOFT_DRAIN_TIMEOUT", "9")
    project = ConfigFile(load_config(tmp_path), "pyproject.toml", text)
    assert project.origin("drain_delay") == "[tool.aloft]"
    assert project.origin("drain_timeout") == "environment ALOFT_DRAIN_TIMEOUT"
    assert project.origin("ready_timeout") == "its default"
