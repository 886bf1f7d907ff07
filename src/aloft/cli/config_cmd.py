"""`aloft config show`: the resolved config and where each value came from."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aloft.cli._common import echo_json, output_option, project_options, resolve, use_color
from aloft.config import flatten


@click.group()
def config() -> None:
    """Inspect the project config ([tool.aloft] plus ALOFT_* overrides)."""


@config.command()
@project_options
@output_option
def show(project: Path | None, environment: str | None, output: str) -> None:
    """Print every setting with its value and origin (default, pyproject.toml table or env var)."""
    resolved = resolve(project, environment)
    values = flatten(resolved.config)
    if resolved.origin("service") == "default":
        origins = {**resolved.origins, "service": f"{resolved.pyproject.name} [project] name"}
    else:
        origins = dict(resolved.origins)
    if output == "json":
        echo_json(
            {
                "pyproject": str(resolved.pyproject),
                "environment": resolved.environment,
                "settings": {
                    key: {"value": value, "origin": origins.get(key, "default")}
                    for key, value in values.items()
                },
            }
        )
        return
    color = use_color(sys.stdout)
    width = max(len(k) for k in values)
    click.echo(
        f"# {resolved.pyproject}"
        + (f" (environment {resolved.environment})" if resolved.environment else "")
    )
    for key, value in values.items():
        origin = origins.get(key, "default")
        shown = click.style(origin, dim=True) if color else origin
        click.echo(f"{key.ljust(width)}  {value!r:<28}  {shown}", color=color)
