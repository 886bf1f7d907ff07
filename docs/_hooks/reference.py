"""MkDocs hook: the config and CLI reference pages, generated from the code at every build.

Never hand-written: the config reference walks the config model (`aloft.config.model`), the CLI
reference walks the click commands (`aloft.cli.cli`), so a new setting or flag is documented by
the build that ships it. tests/docs imports the two generators too.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import types
import typing
from collections.abc import Iterator
from typing import Any

import click

from aloft.config import schema

CONFIG_PAGE = "reference/config.md"
CLI_PAGE = "reference/cli.md"
RULES_PAGE = "reference/rules.md"
# The CLI's help is formatted at this width, so the page does not depend on the terminal.
HELP_WIDTH = 100


# ---- config reference ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Setting:
    key: str
    type: str
    default: str
    env: str  # "" where no ALOFT_* variable reaches the setting
    description: str


@dataclasses.dataclass
class Table:
    header: str  # e.g. "tool.aloft.kubernetes.autoscaling"
    doc: str
    settings: list[Setting]
    example: str = ""


def config_tables() -> list[Table]:
    """Every table of `[tool.aloft]`, top level first, each with its settings."""
    from aloft.config import files as files_table
    from aloft.config.model import SECTIONS
    from aloft.runtime.options import ENV_PREFIX, ServeOptions

    top = Table("tool.aloft", _doc(ServeOptions), [])
    for field in dataclasses.fields(ServeOptions):
        default = field.default if field.default is not dataclasses.MISSING else None
        top.settings.append(
            Setting(
                field.name,
                type_name(typing.get_type_hints(ServeOptions)[field.name]),
                toml_value(default),
                ENV_PREFIX + field.name.upper(),
                field.metadata.get("doc", ""),
            )
        )
    files = {f.name: f for f in dataclasses.fields(files_table.FileSettings)}
    for key in files_table.KEYS:
        top.settings.append(
            _setting(files_table.FileSettings, files[key], ENV_PREFIX + key.upper())
        )
    tables = [top]
    for section in sorted(SECTIONS):
        module = inspect.getmodule(SECTIONS[section])
        tables.extend(
            _model_tables(
                SECTIONS[section],
                f"tool.aloft.{section}",
                (section,),
                module_doc=inspect.getdoc(module) or "",
            )
        )
    return tables


def _model_tables(
    model: type[Any], header: str, path: tuple[str, ...] | None, module_doc: str = ""
) -> Iterator[Table]:
    """The table of `model` and its sub-tables; `path` is its place in the config model, or None
    below a table of tables (`functions.NAME`), which no ALOFT_* variable reaches."""
    intro, example = _split_example(module_doc)
    doc = "\n\n".join(part for part in (intro, _doc(model)) if part)
    table = Table(header, doc, [], example)
    nested: list[Table] = []
    for field in dataclasses.fields(model):
        key = schema.key_of(field)
        child = (*path, key) if path is not None else None
        inner = _model_of(schema.hints(model)[field.name])
        if inner is None:
            env = _env_name(child)
            table.settings.append(_setting(model, field, env, _comment_in(example, key)))
            continue
        # A sub-table is documented as its own table below, not as a row of this one.
        kind, sub = inner
        if kind == "table":
            nested.extend(_model_tables(sub, f"{header}.{key}", child))
        elif kind == "map":
            nested.extend(_model_tables(sub, f"{header}.{key}.NAME", None))
        else:
            nested.extend(_model_tables(sub, f"[{header}.{key}]", None))
    yield table
    yield from nested


def _env_name(path: tuple[str, ...] | None) -> str:
    """The ALOFT_* variable of a setting, if the loader resolves one for it (see _apply_env)."""
    from aloft.config.model import annotation_at
    from aloft.runtime.options import ENV_PREFIX

    if path is None or annotation_at(path) is None:
        return ""
    return ENV_PREFIX + "__".join(part.upper() for part in path)


def _setting(
    model: type[Any], field: dataclasses.Field[Any], env: str, fallback: str = ""
) -> Setting:
    if field.default is not dataclasses.MISSING:
        default = toml_value(field.default)
    elif field.default_factory is not dataclasses.MISSING:
        default = toml_value(field.default_factory())
    else:
        default = "required"
    doc = field.metadata.get("doc", "")
    return Setting(
        schema.key_of(field),
        type_name(schema.hints(model)[field.name]),
        default,
        env,
        doc or fallback,
    )


def _model_of(annotation: Any) -> tuple[str, type[Any]] | None:
    """("table" | "map" | "array", model) for a field holding sub-tables, else None."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if _is_model(annotation):
        return "table", annotation
    origin = typing.get_origin(annotation)
    if origin is dict and len(args) == 2 and _is_model(args[1]):
        return "map", args[1]
    if origin is list and args and _is_model(args[0]):
        return "array", args[0]
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _model_of(args[0])
    return None


def _is_model(annotation: Any) -> bool:
    return schema.is_table(annotation)


def type_name(annotation: Any) -> str:
    """A TOML-minded name for a Python annotation: string, integer, "a" | "b", array of ..."""
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if annotation in simple:
        return simple[annotation]
    if _is_model(annotation):
        return "table"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(json.dumps(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        kept = [a for a in args if a is not type(None)]
        name = " or ".join(type_name(a) for a in kept)
        return f"{name} (optional)" if len(kept) < len(args) else name
    if origin in (list, tuple, set, frozenset):
        return f"array of {type_name(args[0])}" if args else "array"
    if origin is dict:
        return f"table of {type_name(args[1])}" if len(args) == 2 else "table"
    if annotation is Any:
        return "any"
    return getattr(annotation, "__name__", str(annotation))


def toml_value(value: Any) -> str:
    """A default as it would be written in pyproject.toml; "unset" for None."""
    if value is None:
        return "unset"
    if schema.is_table(type(value)):
        return "(table)"
    return _toml(value)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if schema.is_table(type(value)):
        return _toml(schema.dump(value))
    return json.dumps(str(value))


def _doc(owner: Any) -> str:
    doc = owner.__dict__.get("__doc__")  # a class's own docstring, never an inherited one
    return inspect.cleandoc(doc) if isinstance(doc, str) else ""


def _split_example(doc: str) -> tuple[str, str]:
    """A module docstring's prose and its TOML example (the paragraphs that open a table).

    The summary line's leading "`[tool.aloft.x]`: " is dropped: the page's heading says it.
    """
    paragraphs = [inspect.cleandoc(p) for p in re.split(r"\n\s*\n", doc) if p.strip()]
    prose: list[str] = []
    example: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        if paragraph.lstrip().startswith(("[tool.aloft", "[[tool.aloft")):
            example.append(paragraph)
        elif index == 0:
            summary = re.sub(r"^`[^`]*`:\s*", "", paragraph)
            prose.append(summary[:1].upper() + summary[1:])
        else:
            prose.append(paragraph)
    return "\n\n".join(prose), "\n\n".join(example)


def _comment_in(example: str, key: str) -> str:
    """The comment a module's example puts after `key = ...`, as a description of last resort."""
    match = re.search(rf"^\s*{re.escape(key)}\s*=.*?#\s*(.+)$", example, re.MULTILINE)
    return match.group(1).strip() if match else ""


def config_reference() -> str:
    out = [
        "# Config reference",
        "",
        "<!-- Generated from aloft.config.model by docs/_hooks/reference.py; do not edit. -->",
        "",
        "Every setting lives in the `[tool.aloft]` table of the project's `pyproject.toml`.",
        "Resolution order, last wins: the table, then `[tool.aloft.environments.NAME]` for",
        "`--env NAME` (or `ALOFT_ENV=NAME`), then `ALOFT_*` environment variables. A nested",
        "setting's variable joins its keys with a double underscore",
        "(`ALOFT_KUBERNETES__AUTOSCALING__MIN_REPLICAS=3`); a list is given as JSON or",
        "comma-separated. `aloft config show` prints each resolved value with its origin.",
        "A setting without a variable (under a `NAME`, one table per function or service, or",
        "in an optional table such as `ingress`) is set in `pyproject.toml` only.",
        "",
    ]
    for table in config_tables():
        out += [f"## `[{table.header}]`", ""]
        if table.doc:
            out += [table.doc, ""]
        if table.example:
            out += ["```toml", table.example, "```", ""]
        out += [
            "| key | type | default | environment | description |",
            "|---|---|---|---|---|",
        ]
        for s in table.settings:
            env = f"`{s.env}`" if s.env else ""
            default = s.default if s.default in ("required", "unset") else f"`{s.default}`"
            cells = [f"`{s.key}`", s.type, default, env, s.description]
            out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        out.append("")
    return "\n".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\\\\|", "\\|").replace("\n", " ")


# ---- CLI reference ---------------------------------------------------------------------------


def cli_commands() -> Iterator[tuple[str, click.Command, click.Context]]:
    """(full name, command, context) for `aloft` and every subcommand, depth first."""
    from aloft.cli import cli

    settings = {**cli.context_settings, "max_content_width": HELP_WIDTH}
    root = click.Context(cli, info_name="aloft", terminal_width=HELP_WIDTH, **settings)
    yield from _walk("aloft", cli, root)


def _walk(
    name: str, command: click.Command, ctx: click.Context
) -> Iterator[tuple[str, click.Command, click.Context]]:
    yield name, command, ctx
    if isinstance(command, click.Group):
        for sub_name in command.list_commands(ctx):
            sub = command.get_command(ctx, sub_name)
            if sub is None or sub.hidden:
                continue
            sub_ctx = click.Context(sub, info_name=sub_name, parent=ctx, **sub.context_settings)
            yield from _walk(f"{name} {sub_name}", sub, sub_ctx)


def cli_reference() -> str:
    out = [
        "# CLI reference",
        "",
        "<!-- Generated from aloft.cli by docs/_hooks/reference.py; do not edit. -->",
        "",
        "Every command's `--help`, as `aloft` prints it. Exit codes everywhere: 0 ok, 1 the",
        "check or operation failed, 2 bad usage or config (one line naming the file, the key and",
        "the fix).",
        "",
    ]
    for name, command, ctx in cli_commands():
        level = "#" * min(2 + name.count(" "), 4)
        out += [f"{level} `{name}`", ""]
        summary = command.get_short_help_str(limit=HELP_WIDTH)
        if summary:
            out += [summary, ""]
        out += ["```text", command.get_help(ctx).rstrip(), "```", ""]
    return "\n".join(out)


# ---- rules reference -------------------------------------------------------------------------


def rules_reference() -> str:
    """Both rule catalogs (doctor, k8s check) by principle: id, name, severity, why and fix."""
    from aloft.checks.doctor.engine import load_doctor_catalog
    from aloft.checks.kube.engine import load_kube_catalog

    out = [
        "# Rules",
        "",
        "<!-- Generated from the rule catalogs by docs/_hooks/reference.py; do not edit. -->",
        "",
        "The rules of `aloft doctor` (your code) and `aloft k8s check` (manifests), from their",
        "catalogs. Silence one finding on its line with `# aloft: ignore[RULE] reason`; in a",
        'manifest also per object with the annotation `aloft/ignore: "RULE: reason"`.',
        "",
    ]
    for command, catalog in (
        ("aloft doctor", load_doctor_catalog()),
        ("aloft k8s check", load_kube_catalog()),
    ):
        out += [f"## `{command}`", "", f"Reviewed {catalog.updated}. Sources: {catalog.source}", ""]
        for key, principle in catalog.principles.items():
            rules = [r for r in catalog.rules.values() if r.principle == key]
            if not rules:
                continue
            out += [f"### {principle.title}", "", principle.summary, ""]
            for rule in sorted(rules, key=lambda r: r.id):
                severity = rule.severity.name.lower()
                notes = [severity]
                if rule.fixable:
                    notes.append("`--fix` fixes it")
                if not rule.enabled:
                    notes.append("off by default")
                out += [
                    f"#### {rule.id} {rule.name}",
                    "",
                    f"*{', '.join(notes)}*. {rule.rationale}",
                    "",
                    f"**Fix:** {rule.fix}",
                    "",
                ]
    return "\n".join(out)


# ---- MkDocs hook -----------------------------------------------------------------------------


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    pages = (
        (CONFIG_PAGE, config_reference()),
        (CLI_PAGE, cli_reference()),
        (RULES_PAGE, rules_reference()),
    )
    for path, text in pages:
        files.append(File.generated(config, path, content=text))
    return files
