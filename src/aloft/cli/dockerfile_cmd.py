"""`aloft dockerfile`: write the equivalent multi-stage Dockerfile for teams that keep Docker."""

from __future__ import annotations

from pathlib import Path

import click

from aloft.cli._common import project_options, resolve
from aloft.image.cache import atomic_write
from aloft.image.dockerfile import (
    RUNTIME_CONTEXT,
    dockerignore,
    owns_dockerignore,
    render,
    write_context,
)


@click.command()
@project_options
@click.option(
    "--python",
    "python_minor",
    default="",
    help="Python major.minor of the python:X.Y-slim base (default: the project's, within "
    "requires-python).",
)
@click.option("--base", default="", help="Base image instead of python:X.Y-slim-bookworm.")
@click.option(
    "--file",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here; the project folder (the build context) also gets its .dockerignore and "
    "the vendored runtime (default: print the Dockerfile only).",
)
def dockerfile_command(
    project: Path | None, environment: str | None, python_minor: str, base: str, path: Path | None
) -> None:
    """Print (or --file) a multi-stage Dockerfile equivalent to `aloft build`.

    The project folder is the build context. With --file, aloft also writes its
    .dockerignore (the same include/exclude rule as `aloft build` and `aloft lambda package`;
    a .dockerignore aloft did not write is kept, and already feeds that rule) and vendors the
    runtime's wheel into .aloft/.
    """
    from aloft import pythons

    resolved = resolve(project, environment)
    chosen = pythons.container_python(pythons.project_python(resolved.pyproject), python_minor)
    if chosen.note:
        click.echo(f"aloft: note: {chosen.note}", err=True)
    text = render(resolved, chosen.version, base)
    if path is None:
        click.echo(text, nl=False)
        click.echo(
            f"aloft: note: the build needs {RUNTIME_CONTEXT} and .dockerignore in the context; "
            "--file writes them",
            err=True,
        )
        return
    context = resolved.root
    write_context(context)
    ignore = context / ".dockerignore"
    if owns_dockerignore(ignore):
        atomic_write(ignore, dockerignore(resolved).encode())
    atomic_write(path, text.encode())
    click.echo(str(path))


dockerfile_command.name = "dockerfile"
