"""Resolve the project config once: pyproject.toml, then an environment overlay, then ALOFT_* vars.

Every value remembers where it came from, so `aloft config show` can say it and every error can
name the file and table (or the variable) to fix.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
import sys
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aloft.config import files as files_table
from aloft.config import schema
from aloft.config import serve as serve_ranges
from aloft.config.model import ENVIRONMENTS_KEY, SECTIONS, ProjectConfig, annotation_at, table_at
from aloft.exceptions import ConfigError
from aloft.runtime.options import ENV_PREFIX, ServeOptions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

# Variables that steer the tooling itself rather than name a setting.
ENV_SELECTOR = "ALOFT_ENV"
RESERVED_ENV = frozenset(
    {
        ENV_SELECTOR,
        "ALOFT_CACHE_DIR",
        "ALOFT_NO_PROGRESS",
        # Registry credentials for `aloft build --push`, by reference from CI secrets.
        "ALOFT_REGISTRY_USERNAME",
        "ALOFT_REGISTRY_PASSWORD",
        # Read by the runtime (from [tool.aloft.tracing] instrument), not a config override.
        "ALOFT_TRACING_INSTRUMENT",
    }
)

DEFAULT = "default"


@dataclasses.dataclass(frozen=True)
class ResolvedConfig:
    """The validated config of one project plus the origin of every value set explicitly."""

    config: ProjectConfig
    origins: Mapping[str, str]
    pyproject: Path
    project_name: str
    environment: str | None

    @property
    def root(self) -> Path:
        return self.pyproject.parent

    def origin(self, dotted: str) -> str:
        return self.origins.get(dotted, DEFAULT)


def find_pyproject(start: Path | None = None) -> Path:
    """The nearest pyproject.toml at or above `start` (a file or a folder)."""
    here = (start or Path.cwd()).resolve()
    if here.is_file():
        return here
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"{here}: no pyproject.toml here or above; "
        "run aloft in the app's project folder or pass --project PATH"
    )


def load_config(
    project: Path | None = None,
    *,
    environment: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ResolvedConfig:
    env = os.environ if environ is None else environ
    pyproject = find_pyproject(project)
    label = _label(pyproject)
    try:
        with pyproject.open("rb") as fh:
            document = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: not valid TOML ({exc}); fix the syntax") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{label}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start});"
            " TOML files must be UTF-8: save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read ({exc.strerror})") from None

    table = document.get("tool", {}).get("aloft")
    if table is None:
        raise ConfigError(
            f'{label}: no [tool.aloft] table; run `aloft init`, or add one with app = "module:attr"'
        )
    if not isinstance(table, dict):
        raise ConfigError(f"{label}: tool.aloft must be a table")
    project_table = document.get("project", {})
    if not isinstance(project_table, dict):
        raise ConfigError(
            f"{label}: project = {json.dumps(project_table)} is not a table;"
            ' use a [project] table with name = "..."'
        )
    project_name = str(project_table.get("name", pyproject.parent.name))

    environment = environment or env.get(ENV_SELECTOR) or None
    environments = table.pop(ENVIRONMENTS_KEY, {})
    _check_environments(environments, label)
    origins: dict[str, str] = {}
    merged: dict[str, Any] = {}
    _merge(merged, table, origins, f"{label} [tool.aloft", "")
    if environment:
        if not isinstance(environments, dict) or environment not in environments:
            known = ", ".join(sorted(environments)) if isinstance(environments, dict) else ""
            raise ConfigError(
                f"{label}: no [tool.aloft.environments.{environment}] table; "
                + (f"known environments: {known}" if known else "add one or drop --env")
            )
        overlay = environments[environment]
        _merge(merged, overlay, origins, f"{label} [tool.aloft.environments.{environment}", "")
    for name, value in sorted(env.items()):
        if name.startswith(ENV_PREFIX) and name not in RESERVED_ENV:
            _apply_env(merged, origins, name, value)

    raw = _split_sections(merged)
    try:
        config: ProjectConfig = schema.validate(ProjectConfig, raw)
    except schema.SchemaError as exc:
        raise ConfigError(_describe(exc.problems, origins, label)) from None
    bad = serve_ranges.describe(config.serve, lambda key: origins.get(key, f"{label} [tool.aloft]"))
    if bad:
        raise ConfigError("\n".join(bad))
    if not config.serve.service:
        config = dataclasses.replace(
            config, serve=dataclasses.replace(config.serve, service=project_name)
        )
    tracing = config.tracing
    if tracing.on and not (tracing.service_version and tracing.environment):
        version = project_table.get("version")
        filled = dataclasses.replace(
            tracing,
            service_version=tracing.service_version
            or (str(version) if isinstance(version, str) else ""),
            environment=tracing.environment or environment or config.tags.environment,
        )
        config = dataclasses.replace(config, tracing=filled)
    return ResolvedConfig(config, origins, pyproject, project_name, environment)


def _check_environments(environments: Any, label: str) -> None:
    if not isinstance(environments, dict):
        raise ConfigError(
            f"{label} [tool.aloft] environments = {json.dumps(environments, default=str)}: not a"
            " table; add one [tool.aloft.environments.NAME] table per environment"
        )
    for name, overlay in environments.items():
        if not isinstance(overlay, dict):
            raise ConfigError(
                f"{label} [tool.aloft.environments] {name} = {json.dumps(overlay, default=str)}:"
                f" not a table; use a [tool.aloft.environments.{name}] table of settings"
            )


def _label(pyproject: Path) -> str:
    try:
        return str(pyproject.relative_to(Path.cwd()))
    except ValueError:
        return str(pyproject)


def _merge(
    into: dict[str, Any],
    overlay: Mapping[str, Any],
    origins: dict[str, str],
    table: str,
    prefix: str,
) -> None:
    """Deep-merge `overlay` into `into`; `table` is the open '[tool.aloft...' header for origins."""
    for key, value in overlay.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            if not isinstance(into.get(key), dict):
                into[key] = {}
            _merge(into[key], value, origins, f"{table}.{key}", dotted + ".")
        else:
            into[key] = value
            origins[dotted] = table + "]"


def _apply_env(merged: dict[str, Any], origins: dict[str, str], name: str, value: str) -> None:
    parts = name[len(ENV_PREFIX) :].lower().split("__")
    if parts[0] in SECTIONS:
        path: tuple[str, ...] = tuple(parts)
    elif parts[0] in files_table.KEYS:
        path = ("files", *parts)
    else:
        path = ("serve", *parts)
    annotation = annotation_at(path)
    if annotation is None or schema.is_table(annotation):
        if parts[0] in SECTIONS and len(parts) == 2 and schema.keeps_extra(SECTIONS[parts[0]]):
            annotation = str
        else:
            suggestion = _suggest(name, _known_env_names())
            raise ConfigError(
                f"environment {name}: unknown aloft setting{suggestion}; unset it or fix the name"
            )
    target = merged
    for part in parts[:-1]:
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            raise ConfigError(f"environment {name}: {part} is not a table")
    target[parts[-1]] = _env_value(value, annotation)
    origins[".".join(parts)] = f"environment {name}"


def _env_value(value: str, annotation: Any) -> Any:
    """Environment strings shaped as TOML would give them; the schema converts the rest."""
    stripped = value.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return value
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _known_env_names() -> list[str]:
    names = [ENV_PREFIX + f.name.upper() for f in dataclasses.fields(ServeOptions)]
    for section, model in SECTIONS.items():
        names += [
            f"{ENV_PREFIX}{section.upper()}__{key.upper()}" for key in schema.table_keys(model)
        ]
    return names


def _split_sections(merged: Mapping[str, Any]) -> dict[str, Any]:
    raw: dict[str, Any] = {"serve": {}}
    for key, value in merged.items():
        if key in SECTIONS:
            raw[key] = value
        elif key in files_table.KEYS:
            raw.setdefault("files", {})[key] = value
        else:
            raw["serve"][key] = value
    return raw


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _describe(problems: list[schema.Problem], origins: Mapping[str, str], label: str) -> str:
    """One line per problem: where the value came from (file and table, or variable), the
    value, and the schema's reason and fix."""
    lines = []
    for problem in problems:
        loc = [str(part) for part in problem.loc]
        if loc and loc[0] in ("serve", "files"):
            loc = loc[1:]
        dotted = ".".join(loc)
        key = loc[-1] if loc else ""
        table = "[tool.aloft" + "".join(f".{p}" for p in loc[:-1]) + "]"
        where = origins.get(dotted, f"{label} {table}")
        unknown = problem.type == "extra_forbidden"
        if where.startswith("environment "):
            place = f"{where}={problem.input!r}"
        else:
            shown = f" = {_toml(problem.input)}" if not unknown and _jsonable(problem.input) else ""
            place = f"{where} {key}{shown}"
        if unknown:
            known = _known_keys(problem.loc[:-1])
            lines.append(
                f"{place}: unknown key{_suggest(key, known)}; known keys: {', '.join(known)}"
            )
            continue
        lines.append(f"{place}: {problem.msg}")
    return "\n".join(lines)


def _toml(value: Any) -> str:
    """A scalar as TOML writes it: the line quotes the user's own spelling (inf, not Infinity)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return json.dumps(value)


def _jsonable(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _known_keys(loc: tuple[str | int, ...]) -> list[str]:
    if loc in ((), ("serve",)):
        serve = [f.name for f in dataclasses.fields(ServeOptions)]
        return sorted(serve + list(files_table.KEYS) + list(SECTIONS) + [ENVIRONMENTS_KEY])
    table = table_at(loc)
    return sorted(schema.table_keys(table)) if table is not None else []


def flatten(config: ProjectConfig) -> dict[str, Any]:
    """Every setting as dotted TOML key -> JSON value, serve options at the top level as in the
    TOML; keys as TOML spells them (`lambda`, not the field's `lambda_`), as origins and users
    name them."""
    return {".".join(path): value for path, value in leaves(config).items()}


def leaves(config: ProjectConfig) -> dict[tuple[str, ...], Any]:
    """Every setting by its TOML key path; a non-empty table is walked, anything else is a value.

    A path rather than a dotted key where the parts matter: a key may itself hold a dot.
    """
    out: dict[tuple[str, ...], Any] = {}
    dumped = schema.dump(config)
    for key, value in dumped.pop("serve").items():
        out[(key,)] = value
    for key, value in dumped.pop("files").items():  # [tool.aloft] include/exclude
        out[(key,)] = value
    _leaves_into(out, dumped, ())
    return out


def _leaves_into(
    out: dict[tuple[str, ...], Any], value: Mapping[str, Any], prefix: tuple[str, ...]
) -> None:
    for key, item in value.items():
        if isinstance(item, dict) and item:
            _leaves_into(out, item, (*prefix, key))
        else:
            out[(*prefix, key)] = item
