"""`aloft logs`: the service's logs wherever it runs, interleaved by time, filtered, followed."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from aloft.cli._common import output_option, project_options, resolve, use_color
from aloft.config import ResolvedConfig
from aloft.exceptions import ConfigError

if TYPE_CHECKING:
    from aloft.observe.logs import LogLine

# Lambda's log groups keep months of lines: without --since, read what `aws logs tail` reads.
LAMBDA_DEFAULT_SINCE = "10m"


def _target(resolved: ResolvedConfig, chosen: str | None) -> str:
    """--target, else the one target the project configures."""
    if chosen:
        return chosen
    tables = {key.split(".", 1)[0] for key in resolved.origins}
    configured = [
        t for t, table in (("k8s", "kubernetes"), ("lambda", "lambda")) if table in tables
    ]
    if len(configured) == 1:
        return configured[0]
    which = "both [tool.aloft.kubernetes] and [tool.aloft.lambda]" if configured else "neither"
    raise ConfigError(
        f"{resolved.pyproject} configures {which}: pass --target k8s or --target lambda"
    )


@click.command("logs")
@project_options
@click.option(
    "--target",
    type=click.Choice(["k8s", "lambda"]),
    help="Where the service runs [default: the one target the project configures].",
)
@click.option(
    "--service",
    "services",
    multiple=True,
    metavar="NAME",
    help="Only this service (k8s) or function (lambda, its key in [tool.aloft.lambda.functions]);"
    " repeatable [default: all].",
)
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines until Ctrl-C.")
@click.option(
    "--since",
    metavar="10m|1h|TIME",
    help="Only lines from this long ago, or from an RFC 3339 time [default: k8s all, lambda"
    f" {LAMBDA_DEFAULT_SINCE}].",
)
@click.option("--level", metavar="LEVEL", help="Only lines at this level or above, e.g. warning.")
@click.option("--request-id", metavar="ID", help="Only the lines of this one request.")
@click.option(
    "--kubeconfig",
    type=click.Path(path_type=Path, dir_okay=False),
    help="k8s: kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).",
)
@click.option("--context", "kube_context", help="k8s: kubeconfig context (default: current).")
@click.option(
    "--endpoint-url",
    envvar="AWS_ENDPOINT_URL",
    help="lambda: AWS API endpoint (e.g. a moto server); default: AWS.",
)
@output_option
def logs(
    project: Path | None,
    environment: str | None,
    target: str | None,
    services: tuple[str, ...],
    follow: bool,
    since: str | None,
    level: str | None,
    request_id: str | None,
    kubeconfig: Path | None,
    kube_context: str | None,
    endpoint_url: str | None,
    output: str,
) -> None:
    """Print the service's logs: every pod on Kubernetes (prefixed with the pod's name) or every
    function's CloudWatch Logs on Lambda, interleaved by time.

    The app's JSON lines are shown readably (coloured on a terminal, NO_COLOR honoured), or
    passed through with -o json plus where each came from (pod, or function and stream). Lines
    that are not JSON pass through as they are; --level keeps them (but Lambda's START, END and
    REPORT lines count as info), --request-id keeps those naming the request.

    Exit codes: 0 ok, 1 the logs could not be read, 2 bad input.
    """
    from aloft.observe.logs import LogFilter, as_json, fields_of, parse_level, parse_since, pretty

    resolved = resolve(project, environment)
    where = _target(resolved, target)
    since_text = since or (LAMBDA_DEFAULT_SINCE if where == "lambda" else None)
    start = parse_since(since_text) if since_text else None
    keep = LogFilter(start, parse_level(level) if level else None, request_id)
    stop = threading.Event()
    if where == "k8s":
        lines = _kube(resolved, services, start, follow, kubeconfig, kube_context, stop)
    else:
        if endpoint_url:
            os.environ["AWS_ENDPOINT_URL"] = endpoint_url
        lines = _lambda(resolved, services, start or 0.0, follow, request_id, stop)
    color = output != "json" and use_color(sys.stdout)
    try:
        for line in lines:
            fields = fields_of(line.text)
            if not keep.keeps(line, fields):
                continue
            text = as_json(line, fields) if output == "json" else pretty(line, fields, color)
            click.echo(text, color=color)
    except BrokenPipeError:  # `aloft logs | head`: the reader has what it wanted
        # Python's recipe: point stdout at /dev/null so the flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        stop.set()


def _kube(
    resolved: ResolvedConfig,
    services: tuple[str, ...],
    start: float | None,
    follow: bool,
    kubeconfig: Path | None,
    context: str | None,
    stop: threading.Event,
) -> Iterator[LogLine]:
    from aloft.kube import logs as kube_logs
    from aloft.kube.client import connect

    sets = kube_logs.pod_sets(resolved, services)
    cluster = connect(kubeconfig, context)
    try:
        lines: Iterable[LogLine] = (
            kube_logs.follow(cluster, sets, start, stop)
            if follow
            else kube_logs.read(cluster, sets, start)
        )
        yield from lines
    finally:
        cluster.close()


def _lambda(
    resolved: ResolvedConfig,
    services: tuple[str, ...],
    start: float,
    follow: bool,
    request_id: str | None,
    stop: threading.Event,
) -> Iterator[LogLine]:
    from aloft.serverless import logs as lambda_logs
    from aloft.serverless.model import build_stack

    stack = build_stack(resolved)
    functions = lambda_logs.select(stack, services)
    if follow:
        yield from lambda_logs.follow(stack, functions, start, request_id=request_id, stop=stop)
    else:
        yield from lambda_logs.read(stack, functions, start, request_id=request_id)
