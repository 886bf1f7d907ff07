"""`aloft lambda package|template|deploy|serve`: the project's functions on AWS Lambda."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from aloft.cli._common import (
    echo_json,
    interpreter_option,
    moved_short_option,
    output_option,
    progress_for,
    project_options,
    resolve,
    use_color,
)

if TYPE_CHECKING:
    from aloft.serverless.emulator import Client
    from aloft.serverless.model import Stack

F = TypeVar("F", bound=Callable[..., Any])

DIST = Path("dist") / "lambda"


@click.group("lambda")
def lambda_group() -> None:
    """Package, template, deploy and locally serve the project's Lambda functions."""


def _image_uri_option(func: F) -> F:
    func = click.option(
        "--image-record",
        type=click.Path(path_type=Path, dir_okay=False),
        help='package = "image": the record `aloft build --target lambda --image-record FILE`'
        " wrote; its reference serves as --image-uri.",
    )(func)
    return click.option(
        "--image-uri",
        metavar="REF",
        help='package = "image": the image every function runs, e.g. the reference '
        "`aloft build --target lambda` printed (overrides [tool.aloft.lambda] image_uri).",
    )(func)


def _image_uri(image_uri: str | None, image_record: Path | None) -> str | None:
    """--image-uri, or the reference of a Lambda image's --image-record."""
    from aloft.image.record import image_reference

    return image_reference(image_uri, image_record, target="lambda", flag="--image-uri")


def _warn(stack: Stack) -> None:
    """Doctor-style findings about a valid config: on stderr, so stdout stays the artifact."""
    color = use_color()
    label = click.style("warning:", fg="yellow", bold=True) if color else "warning:"
    for warning in stack.warnings:
        click.echo(f"aloft: {label} {warning}", err=True, color=color)


@lambda_group.command("package")
@project_options
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the zips (default: dist/lambda in the project).",
)
@output_option
def package_command(
    project: Path | None, environment: str | None, out_dir: Path | None, output: str
) -> None:
    """Zip the app and its locked dependencies for the target architecture, with a size report.

    With [tool.aloft.lambda] package = "image" there is nothing to zip: `aloft build --target
    lambda` builds the image the functions run.
    """
    from aloft.serverless.model import build_stack
    from aloft.serverless.package import package

    resolved = resolve(project, environment)
    stack = build_stack(resolved)
    _warn(stack)  # the runtime chosen for the project's Python, among others
    progress = progress_for(output)
    result = package(resolved, out_dir or resolved.root / DIST, stack, progress)
    progress.done()
    if result.note:
        click.echo(f"aloft: note: {result.note}", err=True)
    if output == "json":
        echo_json(result.as_json())
    else:
        click.echo(result.report())


@lambda_group.command("template")
@project_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["sam", "serverless"]),
    default="sam",
    show_default=True,
    help="SAM template or serverless.yml.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to FILE instead of stdout.",
)
@moved_short_option("-o", "--out")
@click.option(
    "--code-uri",
    default=str(DIST / "function.zip"),
    show_default=True,
    help="The function zip (a path or s3:// URI).",
)
@click.option(
    "--layer-uri",
    default=str(DIST / "layer.zip"),
    show_default=True,
    help="The dependencies layer zip.",
)
@_image_uri_option
def template_command(
    project: Path | None,
    environment: str | None,
    fmt: str,
    out_file: Path | None,
    code_uri: str,
    layer_uri: str,
    image_uri: str | None,
    image_record: Path | None,
) -> None:
    """Render the functions, events and resources as a SAM template or serverless.yml.

    With [tool.aloft.lambda] package = "image" every function runs the image (--image-uri or
    image_uri) with its handler as the command, instead of the zips.
    """
    from aloft.serverless.model import build_stack

    stack = build_stack(
        resolve(project, environment), _image_uri(image_uri, image_record), require_image=True
    )
    _warn(stack)
    if fmt == "sam":
        from aloft.serverless import template

        text = template.to_yaml(template.sam_template(stack, code_uri, layer_uri))
    else:
        from aloft.serverless import serverless_yml

        text = serverless_yml.to_yaml(serverless_yml.serverless_config(stack, code_uri, layer_uri))
    if out_file is None:
        click.echo(text, nl=False)
        return
    from aloft.fileio import atomic_write_text

    atomic_write_text(out_file, text)


@lambda_group.command("deploy")
@project_options
@click.option(
    "--endpoint-url",
    envvar="AWS_ENDPOINT_URL",
    help="AWS API endpoint (e.g. a moto server); default: AWS.",
)
@click.option(
    "--prune/--no-prune",
    default=True,
    show_default=True,
    help="Delete what an earlier deploy of this project made and the config no longer declares"
    " (only resources tagged aloft:stack=<project>); --no-prune keeps and lists them.",
)
@click.option(
    "--plan",
    "--dry-run",
    "plan",
    is_flag=True,
    help="Print what would be created, updated and deleted, and change nothing.",
)
@_image_uri_option
@output_option
def deploy_command(
    project: Path | None,
    environment: str | None,
    endpoint_url: str | None,
    prune: bool,
    plan: bool,
    image_uri: str | None,
    image_record: Path | None,
    output: str,
) -> None:
    """Package, then create or update the functions, queues, tables, alias and APIs.

    With [tool.aloft.lambda] package = "image" nothing is packaged: the functions run the image
    (--image-uri or image_uri), and a new digest updates their code.
    """
    from aloft.serverless.deploy import deploy
    from aloft.serverless.model import build_stack
    from aloft.serverless.package import deploy_zips

    resolved = resolve(project, environment)
    stack = build_stack(resolved, _image_uri(image_uri, image_record), require_image=True)
    _warn(stack)
    if endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    progress = progress_for(output)
    function_zip, layer_zip = deploy_zips(resolved, stack, resolved.root / DIST, progress)
    progress("planning" if plan else f"deploying to {stack.region}")
    result = deploy(stack, function_zip, layer_zip, prune=prune, plan=plan)
    progress.done()
    if output == "json":
        echo_json(result.as_json())
    else:
        click.echo(result.report())
    if result.rolled_back:
        sys.exit(1)


@lambda_group.command("rollback")
@project_options
@click.option(
    "--endpoint-url",
    envvar="AWS_ENDPOINT_URL",
    help="AWS API endpoint (e.g. a moto server); default: AWS.",
)
@click.option(
    "--to",
    "to_version",
    metavar="VERSION",
    help="Point the alias at this published version [default: the one before it].",
)
@click.option(
    "--function",
    "function_keys",
    multiple=True,
    metavar="NAME",
    help="Only this function of [tool.aloft.lambda.functions] (repeatable) [default: all].",
)
@click.option("--dry-run", is_flag=True, help="Say what would change, and change nothing.")
@output_option
def rollback_command(
    project: Path | None,
    environment: str | None,
    endpoint_url: str | None,
    to_version: str | None,
    function_keys: tuple[str, ...],
    dry_run: bool,
    output: str,
) -> None:
    """Move each function's alias back to the previous published version (or --to VERSION),
    ending a gradual release that is mid-way, and print what changed.

    Exit codes: 0 rolled back (or nothing to change), 1 failed, 2 bad input.
    """
    from aloft.serverless.logs import select
    from aloft.serverless.model import build_stack
    from aloft.serverless.rollback import rollback

    stack = build_stack(resolve(project, environment))
    if endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    changes = rollback(
        stack, select(stack, function_keys, "--function"), to_version, dry_run=dry_run
    )
    if output == "json":
        echo_json({"dry_run": dry_run, "functions": [c.as_dict() for c in changes]})
        return
    for change in changes:
        click.echo(("dry run: " if dry_run else "") + change.text())


@lambda_group.command("serve")
@project_options
@click.option(
    "--function",
    "function_name",
    help="Which function of [tool.aloft.lambda.functions] (default: the first).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address of the HTTP front.")
@click.option("--port", default=3000, show_default=True, type=int, help="Port of the HTTP front.")
@click.option(
    "--event-format",
    type=click.Choice(["v2", "v1", "alb", "alb-multi", "url"]),
    default=None,
    help="Event shape HTTP requests become: API Gateway HTTP API (v2, the default), REST API "
    "(v1), ALB with multi-value headers off (alb) or on (alb-multi), Function URL (url; the "
    "default and the only choice for a function with stream = true).",
)
@click.option(
    "--stage",
    help="v1/v2: serve the API under /STAGE, as its execute-api URL does "
    "(default: at the root, as through a custom domain).",
)
@click.option(
    "--concurrency",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Execution environments at most.",
)
@click.option(
    "--client",
    type=click.Choice(["aloft", "awslambdaric"]),
    default="aloft",
    show_default=True,
    help="Runtime API client in the environments.",
)
@click.option(
    "--extensions",
    is_flag=True,
    help="Stop environments as Lambda does for a function with extensions: SIGTERM first, so "
    "shutdown hooks run (without extensions Lambda kills the environment; no hook runs).",
)
@interpreter_option(
    "Interpreter of the app's environment (default: the project's .venv, synced from "
    "uv.lock, as `aloft run` uses)."
)
def serve_command(
    project: Path | None,
    environment: str | None,
    function_name: str | None,
    host: str,
    port: int,
    event_format: str | None,
    stage: str | None,
    concurrency: int,
    client: str,
    extensions: bool,
    python: Path | None,
) -> None:
    """Run the function locally, without Docker: real HTTP in, Lambda events to worker processes.

    The handler runs in the app's own environment (its .venv), never in the tool's.
    """
    from aloft.local.environment import app_python
    from aloft.serverless import emulator as local_lambda
    from aloft.serverless.model import build_stack

    resolved = resolve(project, environment)
    stack = build_stack(resolved)
    fn = local_lambda.pick_function(stack, function_name)
    fmt = local_lambda.choose_event_format(fn, event_format)
    runtime_client: Client = "awslambdaric" if client == "awslambdaric" else "aloft"
    warning = local_lambda.client_warning(fn, runtime_client)
    if warning:
        click.echo(f"aloft: warning: {warning}", err=True)
    spec = local_lambda.FunctionSpec.for_function(
        fn,
        region=stack.region,
        root=resolved.root,
        pyproject=resolved.pyproject,
        interpreter=app_python(resolved.root, python),
        client=runtime_client,
        concurrency=concurrency,
        extensions=extensions,
    )
    local_lambda.check_stage(stage, fmt)
    front = local_lambda.HTTPFront(local_lambda.Emulator(spec), host, port, fmt, stage)
    base = f"http://{host}:{front.port}" + (f"/{stage}" if stage else "")
    click.echo(
        f"aloft lambda serve: {fn.name} on {base} ({fmt} events);"
        f" direct invoke: POST /2015-03-31/functions/{fn.name}/invocations",
        err=True,
    )
    front.serve_until_stopped()
