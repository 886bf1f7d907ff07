"""Doctor's options from the project: `[tool.aloft.doctor]` and the probe paths of `[tool.aloft]`.

A project without a `[tool.aloft]` table is still checked, with the defaults: doctor is useful
before a service adopts aloft.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from aloft.checks.catalog import Catalog
from aloft.checks.doctor.engine import DoctorOptions
from aloft.checks.doctor.rules import rule_modules
from aloft.checks.doctor.source import ProbePaths
from aloft.checks.findings import Severity
from aloft.checks.suppress import Policy
from aloft.config import ResolvedConfig, load_config
from aloft.config.doctor import DoctorConfig
from aloft.exceptions import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def project_pyproject(path: Path) -> Path | None:
    """The pyproject.toml of the checked folder (or the nearest above it), if any."""
    here = path.resolve()
    folder = here if here.is_dir() else here.parent
    for candidate in (folder, *folder.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate / "pyproject.toml"
    return None


def doctor_options(
    path: Path,
    catalog: Catalog,
    *,
    fail_on: str | None = None,
    exclude: tuple[str, ...] = (),
) -> DoctorOptions:
    pyproject = project_pyproject(path)
    config = DoctorConfig()
    probes = ProbePaths()
    label = "[tool.aloft.doctor]"
    resolved: ResolvedConfig | None = None
    if pyproject is not None and _has_aloft_table(pyproject):
        resolved = load_config(pyproject)
        config = resolved.config.doctor
        serve = resolved.config.serve
        probes = ProbePaths(serve.health_path, serve.ready_path, serve.metrics_path)
        label = f"{pyproject} [tool.aloft.doctor]"
    policy = Policy(
        disabled=frozenset(_rules(catalog, config.disable, f"{label} disable")),
        enabled=frozenset(_rules(catalog, config.enable, f"{label} enable")),
        severities={
            rule: Severity.parse(level)
            for rule, level in zip(
                _rules(catalog, list(config.severity), f"{label} severity"),
                config.severity.values(),
                strict=True,
            )
        },
        fail_on=Severity.parse(fail_on or config.fail_on),
    )
    raw_settings: Mapping[str, Any] = config.rules
    return DoctorOptions(
        policy=policy,
        exclude=tuple(config.exclude) + exclude,
        probes=probes,
        project=resolved,
        rule_settings=rule_settings(catalog, raw_settings, label.removesuffix("]") + ".rules"),
    )


def rule_settings(catalog: Catalog, raw: Mapping[str, Any], where: str) -> dict[str, BaseModel]:
    """Each rule's thresholds, validated by the rule's own `Settings` model.

    [tool.aloft.doctor.rules.ALC003]
    timeout_factor = 4
    """
    out: dict[str, BaseModel] = {}
    modules = rule_modules()
    for key, values in raw.items():
        rule = _rules(catalog, [key], f"{where}.{key}]")[0]
        model: type[BaseModel] | None = getattr(modules.get(rule), "Settings", None)
        if model is None:
            with_settings = sorted(r for r, m in modules.items() if hasattr(m, "Settings"))
            raise ConfigError(
                f"{where}.{key}]: {rule} has no settings; rules with settings: "
                + ", ".join(with_settings)
            )
        try:
            out[rule] = model.model_validate(values)
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(part) for part in error["loc"])
            known = ", ".join(sorted(model.model_fields))
            reason = str(error["msg"]).removeprefix("Value error, ")
            raise ConfigError(
                f"{where}.{key}] {field}: {reason}; known settings: {known}"
            ) from None
    return out


def _has_aloft_table(pyproject: Path) -> bool:
    try:
        with pyproject.open("rb") as fh:
            return "aloft" in tomllib.load(fh).get("tool", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{pyproject}: cannot read ({exc}); fix the file") from None


def _rules(catalog: Catalog, keys: list[str], where: str) -> list[str]:
    ids = []
    for key in keys:
        rule = catalog.resolve(key)
        if rule is None:
            choices = list(catalog.rules) + [r.name for r in catalog.rules.values()]
            close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
            hint = (
                f" (did you mean {close[0]}?)"
                if close
                else "; `aloft doctor --list-rules` lists them"
            )
            raise ConfigError(f"{where}: unknown rule {key!r}{hint}")
        ids.append(rule)
    return ids
