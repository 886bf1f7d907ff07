"""Options and output conventions shared by every verb (colour only on a TTY, NO_COLOR honoured)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from aloft.exceptions import ConfigError

if TYPE_CHECKING:
    from aloft.checks.findings import Report, Severity
    from aloft.config import ResolvedConfig
    from aloft.progress import Progress

F = TypeVar("F", bound=Callable[..., Any])


def use_color(stream: Any = None) -> bool:
    stream = stream or sys.stderr
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if callable(isatty) else False


def print_error(message: str) -> None:
    prefix = click.style("error:", fg="red", bold=True) if use_color() else "error:"
    for line in message.splitlines() or [""]:
        click.echo(f"aloft: {prefix} {line}", err=True, color=use_color())


def project_options(func: F) -> F:
    """--project and --env, the two ways every verb picks the config it resolves."""
    func = click.option(
        "--env",
        "environment",
        metavar="NAME",
        help="Overlay [tool.aloft.environments.NAME] on the base config (or set ALOFT_ENV).",
    )(func)
    func = click.option(
        "--project",
        type=click.Path(path_type=Path, exists=True),
        default=None,
        help="The app's project folder or pyproject.toml (default: nearest above the cwd).",
    )(func)
    return func


def _interpreter(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """An absolute path (the server starts in the project folder, where a relative one breaks)
    to an executable file; symlinks are kept, since a venv's python is one."""
    if value is None:
        return None
    path = value.absolute()
    if not path.is_file() or not os.access(path, os.X_OK):
        raise ConfigError(
            f"--python {value}: no executable file at {path}; give the app's interpreter,"
            " e.g. --python .venv/bin/python"
        )
    return path


def interpreter_option(help_text: str) -> Callable[[F], F]:
    """--python: the interpreter of the app's environment."""
    return click.option(
        "--python",
        "python",
        type=click.Path(path_type=Path, dir_okay=False),
        callback=_interpreter,
        help=help_text,
    )


class OutputFormat(click.Choice[str]):
    """-o/--output is the output format in every verb; a value that names a file or a folder gets
    the flag that does that now, in one line (-o meant a folder or a file in some verbs)."""

    def __init__(self, choices: list[str], moved: str | None = None) -> None:
        super().__init__(choices)
        self.moved = moved

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if self.moved and isinstance(value, str) and value not in self.choices:
            self.fail(
                f"{value!r}: -o is the output format now ({'|'.join(map(str, self.choices))});"
                f" to write to {value} use {self.moved} {value}",
                param,
                ctx,
            )
        return super().convert(value, param, ctx)


def format_option(
    choices: list[str], default: str, help_text: str, moved: str | None = None
) -> Callable[[F], F]:
    """-o/--output FORMAT; `moved` ("--out") names the flag that took over an old -o."""
    return click.option(
        "--output",
        "-o",
        "output",
        type=OutputFormat(choices, moved),
        default=default,
        show_default=True,
        help=help_text,
    )


def moved_short_option(short: str, replacement: str) -> Callable[[F], F]:
    """A retired short flag that now errors with its replacement instead of meaning something
    else silently: `moved_short_option("-o", "--out")`. Hidden from --help."""

    def fail(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        if value is not None:
            raise click.UsageError(
                f"{short} {value}: {short} is the output format now and names no file here;"
                f" use {replacement} {value}",
                ctx,
            )

    return click.option(
        short,
        "retired_" + short.lstrip("-"),
        hidden=True,
        expose_value=False,
        callback=fail,
        is_eager=True,
    )


def output_option(func: F) -> F:
    return format_option(["text", "json"], "text", "json for scripts.")(func)


def findings_output_option(func: F) -> F:
    """The reporters of the shared findings core (doctor, k8s check)."""
    return format_option(
        ["text", "json", "sarif"], "text", "json for scripts, sarif for code-scanning UIs."
    )(func)


def resolve(project: Path | None, environment: str | None) -> ResolvedConfig:
    # Imported here: the config models and their checks are much of a verb's start-up, and
    # `--help` or a usage error never needs them.
    from aloft.config import load_config

    return load_config(project, environment=environment)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


def image_outputs(func: F) -> F:
    """Where an image goes: a registry (--push), an OCI layout, a tarball; shared by build/base."""
    func = click.option(
        "--insecure-registry",
        "insecure",
        multiple=True,
        metavar="HOST:PORT",
        help="Use plain HTTP for this registry (loopback ones always do).",
    )(func)
    func = click.option(
        "--tag", default="latest", show_default=True, help="Tag inside --layout / --tar."
    )(func)
    func = click.option(
        "--tar",
        "tarball",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Write a tarball for docker load / podman load.",
    )(func)
    func = click.option(
        "--layout",
        type=click.Path(path_type=Path, file_okay=False),
        help="Write an OCI image layout folder.",
    )(func)
    func = click.option(
        "--push",
        "push_ref",
        metavar="REGISTRY/REPO[:TAG]",
        help="Push to this registry repository.",
    )(func)
    return func


def progress_for(output: str) -> Progress:
    """The progress sink of a verb: live bars on a terminal, plain lines off one, nothing for
    --output json; stderr only. Settled when the command ends, however it ends (the cursor
    comes back); call done() before printing the result so it lands below the bars."""
    from aloft.progress import for_output

    return click.get_current_context().with_resource(for_output(output))


def report_findings(report: Report, output: str, fail_on: Severity) -> None:
    """Print a checks report (doctor, k8s check) in `output`'s format; exit 1 when it holds a
    finding at or above `fail_on`, as linters do, so CI can gate on it."""
    from aloft.checks.reporters import render_human, render_json, render_sarif

    if output == "json":
        click.echo(render_json(report))
    elif output == "sarif":
        click.echo(render_sarif(report))
    else:
        color = use_color(sys.stdout)
        click.echo(render_human(report, color=color), color=color)
    if report.failed(fail_on):
        sys.exit(1)
