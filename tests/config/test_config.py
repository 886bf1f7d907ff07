"""One project config: pyproject.toml, an environment overlay, ALOFT_* overrides, with origins."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from aloft.config import load_config
from aloft.exceptions import ConfigError

PYPROJECT = """
[project]
name = "orders"

[tool.aloft]
app = "orders.main:app"
port = 8080
gc_thresholds = [50000, 20, 20]

[tool.aloft.tags]
team = "payments"
cost_center = "cc-77"

[tool.aloft.environments.prod]
workers = 4
log_sample_rate = 0.1

[tool.aloft.environments.prod.tags]
environment = "prod"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    return tmp_path


def test_base_values_defaults_and_service_from_project_name(project: Path) -> None:
    resolved = load_config(project, environ={})
    serve = resolved.config.serve
    assert (serve.app, serve.port, serve.workers, serve.service) == (
        "orders.main:app",
        8080,
        0,
        "orders",
    )
    assert serve.gc_thresholds == (50000, 20, 20)
    assert resolved.origin("port").endswith("pyproject.toml [tool.aloft]")
    assert resolved.origin("workers") == "default"
    assert resolved.origin("tags.team").endswith("[tool.aloft.tags]")


def test_environment_overlay_then_env_vars_win(project: Path) -> None:
    resolved = load_config(
        project,
        environment="prod",
        environ={
            "ALOFT_PORT": "9000",
            "ALOFT_TAGS__TEAM": "checkout",
            "ALOFT_GC_THRESHOLDS": "700,10,10",
        },
    )
    serve = resolved.config.serve
    assert (serve.port, serve.workers, serve.log_sample_rate) == (9000, 4, 0.1)
    assert serve.gc_thresholds == (700, 10, 10)
    assert resolved.config.tags.as_dict() == {
        "team": "checkout",
        "environment": "prod",
        "cost-center": "cc-77",
    }
    assert resolved.origin("port") == "environment ALOFT_PORT"
    assert resolved.origin("workers").endswith("[tool.aloft.environments.prod]")
    assert resolved.origin("tags.environment").endswith("[tool.aloft.environments.prod.tags]")
    assert resolved.origin("tags.team") == "environment ALOFT_TAGS__TEAM"


def test_aloft_env_selects_the_environment(project: Path) -> None:
    assert load_config(project, environ={"ALOFT_ENV": "prod"}).config.serve.workers == 4


def test_unknown_environment_lists_the_known_ones(project: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"no \[tool.aloft.environments.staging\] table; known environments: prod"
    ):
        load_config(project, environment="staging", environ={})


def test_unknown_env_var_is_an_error_with_a_suggestion(project: Path) -> None:
    with pytest.raises(
        ConfigError,
        match="ALOFT_WORKRES: unknown aloft setting \\(did you mean ALOFT_WORKERS\\?\\)",
    ):
        load_config(project, environ={"ALOFT_WORKRES": "2"})


def test_missing_tool_table_says_what_to_add(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(
        ConfigError, match=r"no \[tool.aloft\] table; run `aloft init`, or add one with app"
    ):
        load_config(tmp_path, environ={})


def test_invalid_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.aloft\napp = 1\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml: not valid TOML"):
        load_config(tmp_path, environ={})


def test_config_show_json_gives_value_and_origin_of_every_setting(project: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
    env["ALOFT_DRAIN_DELAY"] = "3"
    done = subprocess.run(
        ["aloft", "config", "show", "--project", str(project), "--env", "prod", "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    shown = json.loads(done.stdout)
    assert shown["environment"] == "prod"
    settings = shown["settings"]
    assert settings["drain_delay"] == {"value": 3.0, "origin": "environment ALOFT_DRAIN_DELAY"}
    assert (
        settings["workers"]["value"] == 4
        and settings["service"]["origin"] == "pyproject.toml [project] name"
    )
    assert settings["health_path"] == {"value": "/healthz", "origin": "default"}
