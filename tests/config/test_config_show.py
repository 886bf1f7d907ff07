"""`aloft config show`: the resolved config as valid TOML with origins, or JSON; no Python reprs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import tomllib

from aloft.config.show import toml_value
from testkit import ALOFT

PYPROJECT = """\
[project]
name = "shop"

[tool.aloft]
app = "shop.main:app"
access_log = false

[tool.aloft.lambda]
region = "eu-west-1"

[tool.aloft.image.labels]
"org.opencontainers.image.vendor" = "Acme \\"Ltd\\""
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    return tmp_path


def show(project: Path, *args: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
    done = subprocess.run(
        [*ALOFT, "config", "show", "--project", str(project), *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        cwd=project,
        check=True,
    )
    return done.stdout


def test_show_prints_toml_that_parses_back_to_the_resolved_values(project: Path) -> None:
    text = show(project, ALOFT_PORT="9000")
    aloft = tomllib.loads(text)["tool"]["aloft"]
    assert aloft["port"] == 9000 and aloft["access_log"] is False
    assert aloft["lambda"]["region"] == "eu-west-1"
    assert aloft["image"]["labels"] == {"org.opencontainers.image.vendor": 'Acme "Ltd"'}
    assert aloft["cost"]["lambda"]["arch"] == "arm64"


def test_show_names_each_values_origin(project: Path) -> None:
    lines = show(project, ALOFT_PORT="9000").splitlines()
    assert "port            = 9000  # environment ALOFT_PORT" in lines
    assert any(
        line.startswith("region") and line.endswith("# pyproject.toml [tool.aloft.lambda]")
        for line in lines
    )
    assert any(line.startswith("service") and "[project] name" in line for line in lines)


def test_show_has_no_python_reprs_nor_internal_names(project: Path) -> None:
    text = show(project)
    assert "lambda_" not in text
    values = [line.split(" = ", 1)[1] for line in text.splitlines() if " = " in line]
    assert not any(v.startswith(("True", "False", "None", "'")) for v in values)
    assert "# budget_usd is unset  # default" in text.splitlines()


def test_show_json_gives_values_and_origins_by_toml_key(project: Path) -> None:
    shown = json.loads(show(project, "--output", "json", ALOFT_LAMBDA__ARCHITECTURE="arm64"))
    settings = shown["settings"]
    assert settings["lambda.region"] == {
        "value": "eu-west-1",
        "origin": "pyproject.toml [tool.aloft.lambda]",
    }
    assert settings["lambda.architecture"] == {
        "value": "arm64",
        "origin": "environment ALOFT_LAMBDA__ARCHITECTURE",
    }
    assert settings["cost.budget_usd"] == {"value": None, "origin": "default"}
    assert not any(key.startswith("lambda_") for key in settings)


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        'quote " and \\ backslash',
        "tab\tnew\nline",
        "del\x7f",
        "ünï",
        1,
        -2.5,
        1e-05,
        True,
        [],
        [1, "a"],
        {},
        {"a.b": {"c d": [{"x": False}]}},
    ],
)
def test_toml_value_round_trips_through_tomllib(value: object) -> None:
    assert tomllib.loads(f"v = {toml_value(value)}")["v"] == value
