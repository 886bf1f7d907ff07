"""The documentation site builds in strict mode, and its generated references cover the code."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from docblocks import REPO

from aloft.config import schema
from aloft.config.loader import load_config
from aloft.config.model import SECTIONS
from aloft.runtime.options import ServeOptions


def _hook() -> ModuleType:
    name = "aloft_docs_reference"
    spec = importlib.util.spec_from_file_location(name, REPO / "docs/_hooks/reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while building the class
    spec.loader.exec_module(module)
    return module


reference = _hook()


def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    """Broken links, missing anchors, pages outside the nav and bad API paths all fail it."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert "No module named mkdocs" not in done.stderr, "uv sync --all-groups (the docs group)"
    assert done.returncode == 0, done.stderr[-4000:]
    site = tmp_path / "site"
    for page in ("reference/config", "reference/cli", "reference/rules", "reference/runtime"):
        assert (site / page / "index.html").is_file(), page
    runtime = (site / "reference/runtime/index.html").read_text(encoding="utf-8")
    assert "load_settings" in runtime and "lambda_handler" in runtime


def test_the_config_reference_lists_every_setting_of_the_model() -> None:
    page = reference.config_reference()
    for field in dataclasses.fields(ServeOptions):
        assert f"| `{field.name}` |" in page, field.name
    for section, model in SECTIONS.items():
        assert f"## `[tool.aloft.{section}]`" in page, section
        for key, annotation in schema.table_keys(model).items():
            assert f"| `{key}` |" in page or _is_table(annotation), key
    assert "## `[tool.aloft.kubernetes.autoscaling]`" in page
    assert "## `[tool.aloft.lambda.functions.NAME]`" in page
    assert "## `[[tool.aloft.lambda.functions.NAME.events]]`" in page


def test_every_setting_in_the_config_reference_says_what_it_is() -> None:
    """A new setting needs setting(doc=...) (or the serve option's doc) to be documented."""
    silent = [
        f"[{table.header}] {s.key}"
        for table in reference.config_tables()
        for s in table.settings
        if not s.description
    ]
    assert silent == []


def test_the_examples_in_the_config_modules_are_valid_config(tmp_path: Path) -> None:
    """The reference shows each config module's TOML example: it must load as it is shown."""
    examples = [t.example for t in reference.config_tables() if t.example]
    assert len(examples) >= 3
    for example in examples:
        pyproject = tmp_path / "pyproject.toml"
        pyproject.write_text(f'[project]\nname = "shop"\n\n{example}\n', encoding="utf-8")
        load_config(pyproject, environ={})


def _is_table(annotation: object) -> bool:
    return reference._model_of(annotation) is not None


def test_every_variable_in_the_config_reference_is_one_the_loader_accepts(tmp_path: Path) -> None:
    """The page spells each ALOFT_* name; the loader is the one that must understand it."""
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "shop"\n\n[tool.aloft]\napp = "shop:app"\n')
    settings = [s for t in reference.config_tables() for s in t.settings if s.env]
    assert len(settings) > 100
    for setting in settings:
        try:
            load_config(pyproject, environ={setting.env: "[]"})
        except Exception as exc:  # a value error is fine; an unknown name is the failure
            assert "unknown aloft setting" not in str(exc), setting.env


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (int, "integer"),
        (list[str], "array of string"),
        (dict[str, int], "table of integer"),
        (float | None, "number (optional)"),
    ],
)
def test_types_are_named_as_toml_users_know_them(annotation: object, expected: str) -> None:
    assert reference.type_name(annotation) == expected


def test_the_cli_reference_has_every_command_with_its_help() -> None:
    page = reference.cli_reference()
    names = [name for name, _, _ in reference.cli_commands()]
    assert {"aloft", "aloft run", "aloft k8s check", "aloft lambda template"} <= set(names)
    for name in names:
        assert f"`{name}`" in page
    assert "Usage: aloft k8s render [OPTIONS]" in page
    assert "--kube-version" in page


def test_the_rules_reference_has_every_rule_of_both_catalogs() -> None:
    from aloft.checks.doctor.engine import load_doctor_catalog
    from aloft.checks.kube.engine import load_kube_catalog

    page = reference.rules_reference()
    for catalog in (load_doctor_catalog(), load_kube_catalog()):
        for rule in catalog.rules.values():
            assert f"#### {rule.id} {rule.name}" in page
