"""`aloft init`: detect the app of an existing project and write its [tool.aloft] table."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from aloft.project import detect, plan_init, write_plan
from aloft.project.init import add_command, add_runtime


def _project_root(project: Path | None) -> Path:
    if project is not None:
        return project.parent if project.is_file() else project
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    return here


@click.command("init")
@click.option(
    "--project",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="The app's project folder (default: nearest with a pyproject.toml above the cwd).",
)
@click.option("--diff", "show_diff", is_flag=True, help="Show the change; write nothing.")
@click.option("--force", is_flag=True, help="Set app in an existing [tool.aloft] table.")
@click.option("--no-add", is_flag=True, help="Do not add aloft-runtime with uv add.")
@click.option("--app", metavar="MODULE:ATTR", help="The app object, instead of detecting it.")
@click.option(
    "--interface",
    type=click.Choice(["asgi", "wsgi"]),
    help="ASGI or WSGI, for an --app that detection did not find.",
)
@click.option(
    "--runtime",
    "runtime_wheel",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Add aloft-runtime from this wheel (e.g. built from a clone) instead of the index.",
)
def init(
    project: Path | None,
    show_diff: bool,
    force: bool,
    no_add: bool,
    app: str | None,
    interface: str | None,
    runtime_wheel: Path | None,
) -> None:
    """Detect the framework and app object of this project and write [tool.aloft] into its
    pyproject.toml; add the runtime (aloft-runtime with the asgi or wsgi extra) with uv."""
    root = _project_root(project).resolve()
    detection = detect(root)
    found = detection.app
    if found is not None and app is None:
        click.echo(
            f"detected: {found.framework} app {found.spec} ({found.interface}) "
            f"in {found.path}:{found.line}"
        )
        others = [c.spec for c in detection.candidates[1:]]
        if others:
            click.echo(f"also found: {', '.join(others)} (choose with --app)")
    if detection.django_settings:
        click.echo(f"Django settings: {detection.django_settings}")
    plan = plan_init(root, detection, app=app, interface=interface, force=force)
    for note in detection.missing():
        if app is None or not note.startswith("no app object"):
            click.echo(f"could not detect: {note}", err=True)
    command = None if no_add else add_command(plan, runtime_wheel)
    if show_diff:
        click.echo(plan.diff() or f"{plan.pyproject}: no change", nl=False)
        if command:
            click.echo(f"then: {shlex.join(command)}")
        return
    write_plan(plan)
    click.echo(f"wrote {plan.pyproject} [tool.aloft] app = {plan.app!r}")
    if command:
        add_runtime(plan, runtime_wheel)
        click.echo(f"added {plan.requirement} ({shlex.join(command)})")
    elif plan.requirement and no_add:
        click.echo(f"not added (--no-add): the app needs {plan.requirement} in its dependencies")
    click.echo(
        "next:\n"
        "  aloft doctor             # what breaks as replicas or on Lambda\n"
        "  aloft run                # serve it as production would (/healthz, /metrics)\n"
        "  aloft build              # an OCI image; aloft k8s render, aloft lambda package"
    )
