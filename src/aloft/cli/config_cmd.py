"""`aloft config show`: the resolved config and where each value came from."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aloft.cli._common import echo_json, output_option, project_options, resolve, use_color


@click.group()
def config() -> None:
    """Inspect the project config ([tool.aloft] plus ALOFT_* overrides)."""


@config.command()
@project_options
@output_option
def show(project: Path | None, environment: str | None, output: str) -> None:
    """Print every setting as TOML, each with its origin (default, pyproject.toml table, env var).

    The text is valid TOML ([tool.aloft] and its tables); an unset optional value is a comment.
    --output json gives {"settings": {"dotted.key": {"value": ..., "origin": ...}}}.
    """
    from aloft.config.show import settings, to_toml

    resolved = resolve(project, environment)
    if output == "json":
        echo_json(
            {
                "pyproject": str(resolved.pyproject),
                "environment": resolved.environment,
                "settings": settings(resolved),
            }
        )
        return
    text = to_toml(resolved)
    color = use_color(sys.stdout)
    if color:
        # Origins dimmed: the values are what the eye looks for.
        text = "\n".join(_dim_comment(line) for line in text.splitlines()) + "\n"
    click.echo(text, nl=False, color=color)


def _dim_comment(line: str) -> str:
    value, sep, origin = line.rpartition("  # ")
    return f"{value}{sep[:2]}{click.style(sep[2:] + origin, dim=True)}" if sep else line
