"""`aloft dockerfile`: write the equivalent multi-stage Dockerfile for teams that keep Docker."""

from __future__ import annotations

from pathlib import Path

import click

from aloft.cli._common import project_options, resolve
from aloft.image.cache import atomic_write
from aloft.image.dockerfile import DOCKERIGNORE, render


@click.command()
@project_options
@click.option(
    "--python",
    "python_minor",
    default="3.11",
    show_default=True,
    help="Python major.minor of the python:X.Y-slim base.",
)
@click.option("--base", default="", help="Base image instead of python:X.Y-slim-bookworm.")
@click.option(
    "--file",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here (default: print it).",
)
def dockerfile_command(
    project: Path | None, environment: str | None, python_minor: str, base: str, path: Path | None
) -> None:
    """Print (or --file) a multi-stage Dockerfile equivalent to `aloft build`; writes a
    .dockerignore beside a written file if none exists."""
    resolved = resolve(project, environment)
    text = render(resolved, python_minor, base)
    if path is None:
        click.echo(text, nl=False)
        return
    atomic_write(path, text.encode())
    ignore = path.parent / ".dockerignore"
    if not ignore.exists():
        atomic_write(ignore, DOCKERIGNORE.encode())
    click.echo(str(path))


dockerfile_command.name = "dockerfile"
