"""`aloft build`: the project's OCI image, without Docker, pushed or written to disk."""

from __future__ import annotations

from pathlib import Path

import click

from aloft.cli._common import (
    echo_json,
    image_outputs,
    output_option,
    progress_for,
    project_options,
    resolve,
)
from aloft.config import ResolvedConfig
from aloft.exceptions import ConfigError
from aloft.image.build import BuildOptions, build, default_platforms
from aloft.image.cache import Cache
from aloft.image.lambda_target import FunctionCommand
from aloft.image.oci import Platform
from aloft.image.outputs import Outputs, deliver
from aloft.image.record import TARGETS, ImageRecord, Target


def lambda_commands(resolved: ResolvedConfig) -> tuple[FunctionCommand, ...]:
    """Each function's handler as a CMD, read from the resource model deploys use (so the image
    build and the deploy agree on names and handlers)."""
    from aloft.serverless.model import build_stack

    return tuple(
        FunctionCommand(f.name, f.key, (f.handler,)) for f in build_stack(resolved).functions
    )


def parse_platforms(text: str | None, default: list[str]) -> tuple[Platform, ...]:
    items = [p.strip() for p in (text.split(",") if text else default) if p.strip()]
    try:
        return tuple(Platform.parse(p) for p in items)
    except ValueError as exc:
        raise ConfigError(f"--platform: {exc}") from None


@click.command()
@project_options
@click.option(
    "--target",
    type=click.Choice(TARGETS),
    default=None,
    help="container (serves HTTP) or lambda (a Lambda container image) "
    "(default: [tool.aloft.image] target, else container).",
)
@click.option(
    "--platform",
    "platforms",
    metavar="LIST",
    help="OS/ARCH[,OS/ARCH...] (default: [tool.aloft.image] platforms; for --target lambda, "
    "the one [tool.aloft.lambda] architecture).",
)
@click.option(
    "--base",
    metavar="REF",
    help="Base image REGISTRY/REPO[:TAG|@DIGEST] (default: aloft's own minimal base).",
)
@image_outputs
@click.option(
    "--image-record",
    "record_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write the build record (what --output json prints) to FILE, for"
    " `aloft k8s deploy --image-record FILE` and the like; written only when the build succeeds.",
)
@output_option
def build_command(
    project: Path | None,
    environment: str | None,
    target: str | None,
    platforms: str | None,
    base: str | None,
    push_ref: str | None,
    layout: Path | None,
    tarball: Path | None,
    tag: str,
    insecure: tuple[str, ...],
    record_file: Path | None,
    output: str,
) -> None:
    """Build the app's container image from uv.lock and its source, without a daemon.

    Layers: base, dependencies (for the target platform), app. The last line printed is the
    image reference by digest.

    --target lambda reuses the same layers and sets ENTRYPOINT to aloft's Lambda Runtime API
    client and CMD to the first function's handler. One image serves every function in
    [tool.aloft.lambda.functions]: each passes its handler as ImageConfig.Command (the CMD
    override); `--output json` lists each function's cmd under "functions".
    """
    resolved = resolve(project, environment)
    settings = resolved.config.image
    kind: Target = "lambda" if (target or settings.target) == "lambda" else "container"
    show = progress_for(output)
    options = BuildOptions(
        platforms=parse_platforms(platforms, default_platforms(resolved, kind)),
        target=kind,
        base=base or settings.base,
        progress=show,
        insecure_registries=tuple(insecure) + tuple(settings.insecure_registries),
        functions=lambda_commands(resolved) if kind == "lambda" else (),
    )
    cache = Cache()
    result = build(resolved, options, cache)
    if result.note:
        click.echo(f"aloft: note: {result.note}", err=True)
    # [tool.aloft.image] repository is where a bare `aloft build` goes; explicit outputs win.
    default_push = settings.repository if not (layout or tarball) else ""
    outputs = Outputs(
        push=push_ref or default_push or None,
        layout=layout,
        tarball=tarball,
        tag=tag,
        insecure=options.insecure_registries,
    )
    record = ImageRecord.of(result.summary(), deliver(result, outputs, cache, show))
    show.done()
    if record_file is not None:
        record.write(record_file)
    if output == "json":
        echo_json(record.to_json())
    else:
        click.echo(record.reference)


build_command.name = "build"
