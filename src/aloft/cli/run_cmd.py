"""`aloft run`: start the project's app exactly as its container would start it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click

from aloft.cli._common import interpreter_option, project_options, resolve
from aloft.local.server import development_host, launch


@click.command()
@project_options
@click.option(
    "--port", type=click.IntRange(0, 65535), help="Override [tool.aloft] port for this run."
)
@click.option("--host", help="Override [tool.aloft] host for this run.")
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    help="Override [tool.aloft] workers (0: from the CPU quota and memory limit).",
)
@click.option("--reload", is_flag=True, help="Restart on code changes (development only).")
@interpreter_option(
    "Interpreter of the app's environment (default: its .venv, synced from uv.lock)."
)
def run(
    project: Path | None,
    environment: str | None,
    port: int | None,
    host: str | None,
    workers: int | None,
    reload: bool,
    python: Path | None,
) -> None:
    """Serve the app with the production server, probes, metrics, JSON logs and graceful drain.

    Runs `python -m aloft.runtime serve` in the app's own environment with the resolved config as
    ALOFT_* variables: the same process a container runs.
    """
    resolved = resolve(project, environment)
    host, note = development_host(resolved, host)
    if note:
        click.echo(f"aloft: {note}", err=True)
    overrides: dict[str, Any] = {
        k: v for k, v in {"port": port, "host": host, "workers": workers}.items() if v is not None
    }
    if reload:
        overrides["reload"] = True
    serve = dataclasses.replace(resolved.config.serve, **overrides)
    launch(resolved, serve, python=python)
