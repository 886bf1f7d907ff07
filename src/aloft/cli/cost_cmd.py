"""`aloft cost`: price the service on Lambda, Fargate and EKS, from config and a measured profile.

`aloft cost` alone compares platforms for the configured traffic; `aloft cost lambda|fargate|eks`
answer one quick question from flags; `aloft cost catalog` shows or imports prices.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, NoReturn

import click

from aloft.cli._common import (
    echo_json,
    format_option,
    output_option,
    project_options,
    resolve,
)
from aloft.exceptions import ConfigError, OperationFailed

_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9}
_QUANTITY = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kKmMbBgG]?)\s*$")


class Quantity(click.ParamType):  # type: ignore[type-arg]
    """A count such as 3000000, 3M, 2.5k or 1B."""

    name = "N"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, (int, float)):
            number = float(value)
        else:
            text = str(value)
            match = _QUANTITY.match(text)
            if not match:
                negative = text.strip().startswith("-")
                _bad(
                    param,
                    f"{text!r}: "
                    + (
                        "must not be negative"
                        if negative
                        else "use a count such as 3000000, 3M or 2.5k"
                    ),
                )
            number = float(match.group(1)) * _SUFFIX[match.group(2).lower()]
        if not math.isfinite(number) or number < 0:
            _bad(param, f"{value!r}: use a count >= 0")
        return number


class NonNegative(click.ParamType):  # type: ignore[type-arg]
    name = "NUMBER"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            _bad(param, f"{value!r} is not a number")
        if not math.isfinite(number) or number < 0:
            _bad(param, f"{value!r}: use a number >= 0")
        return number


def _bad(param: click.Parameter | None, reason: str) -> NoReturn:
    """One line and exit 2, like every other user error (click's usage block is three)."""
    name = param.opts[0] if param is not None and param.opts else "value"
    raise ConfigError(f"{name} {reason}")


QUANTITY = Quantity()
NON_NEGATIVE = NonNegative()


def _catalog_options(func: Any) -> Any:
    func = click.option(
        "--budget",
        type=NON_NEGATIVE,
        default=None,
        help="Monthly budget in USD: exit 1 with the reason when the estimate exceeds it.",
    )(func)
    func = click.option(
        "--catalog",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Pricing catalog TOML overriding aloft's prices.",
    )(func)
    func = click.option(
        "--region", default="us-east-1", show_default=True, help="AWS region to price in."
    )(func)
    return func


def _print_estimate(estimate: Any, output: str, budget: float | None) -> None:
    from aloft.cost.compare import BudgetCheck
    from aloft.cost.report import render_estimate

    check = BudgetCheck.of(estimate, budget)
    if output == "json":
        data = estimate.to_json()
        if budget is not None:
            data["budget"] = check.to_json()
        echo_json(data)
    else:
        click.echo(render_estimate(estimate))
    if check.reason:
        raise OperationFailed(check.reason)


@click.group(invoke_without_command=True)
@project_options
@output_option
@click.option(
    "--profile",
    "profile_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Profile JSON from `aloft profile` (default: [tool.aloft.cost] profile).",
)
@click.option(
    "--traffic-csv",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Hourly request counts to price instead of [tool.aloft.cost.traffic].",
)
@click.option(
    "--rps", type=NON_NEGATIVE, help="Mean requests/s, keeping the configured traffic shape."
)
@click.option(
    "--plot",
    "plot_stem",
    type=click.Path(path_type=Path),
    help="Also write STEM.png and STEM.html: cost against traffic with break-even points.",
)
@click.option("--no-break-even", is_flag=True, help="Skip the break-even search.")
@click.option(
    "--provisioned-concurrency",
    type=click.IntRange(min=0),
    help="Price Lambda with this provisioned concurrency instead of the deployed one"
    " ([tool.aloft.lambda] provisioned_concurrency): a what-if.",
)
@click.pass_context
def cost(
    ctx: click.Context,
    *,
    project: Path | None,
    environment: str | None,
    output: str,
    profile_path: Path | None,
    traffic_csv: Path | None,
    rps: float | None,
    plot_stem: Path | None,
    no_break_even: bool,
    provisioned_concurrency: int | None,
) -> None:
    """Monthly cost of the service on Lambda, Fargate and EKS for its traffic; the cheapest.

    Reads [tool.aloft.cost] and the profile `aloft profile` wrote; prints every line with its
    formula inputs, the break-even traffic between Lambda and each container option, commitments
    beside on-demand, and right-sized settings. Exits 1 when the estimate exceeds budget_usd.
    """
    if ctx.invoked_subcommand is not None:
        return
    from aloft.cost.project import project_cost
    from aloft.kube.spec import pod_worker_count

    resolved = resolve(project, environment)
    priced = project_cost(
        resolved,
        # Pod memory is suggested for the worker count the rendered manifests run.
        workers=pod_worker_count(resolved),
        traffic_csv=traffic_csv,
        rps=rps,
        profile_path=profile_path,
        break_even=not no_break_even,
        provisioned_concurrency=provisioned_concurrency,
    )
    written = priced.write_plot(plot_stem) if plot_stem is not None else []
    if output == "json":
        echo_json(priced.to_json(written))
    else:
        click.echo(priced.text)
        for path in written:
            click.echo(f"wrote {path}")
    if priced.budget.reason:
        raise OperationFailed(f"{priced.budget.reason} ([tool.aloft.cost] budget_usd)")


@cost.command("lambda")
@click.option("--requests", required=True, type=QUANTITY, help="Requests per month, e.g. 3M.")
@click.option(
    "--duration-ms", required=True, type=NON_NEGATIVE, help="Mean duration of one request."
)
@click.option("--memory-mb", type=int, default=512, show_default=True)
@click.option("--arch", type=click.Choice(["x86_64", "arm64"]), default="x86_64", show_default=True)
@click.option(
    "--front",
    type=click.Choice(["http-api", "rest-api", "alb", "url", "none"]),
    default="none",
    show_default=True,
    help="What receives the HTTP requests.",
)
@click.option("--no-free-tier", is_flag=True, help="Leave out the monthly free tier.")
@click.option("--ephemeral-mb", type=int, default=512, show_default=True, help="/tmp size.")
@click.option("--provisioned-concurrency", type=int, default=0, show_default=True)
@click.option(
    "--request-kb",
    type=NON_NEGATIVE,
    default=1.0,
    show_default=True,
    help="Request size (HTTP API meters 512 KB steps).",
)
@_catalog_options
@output_option
def lambda_cmd(
    *,
    requests: float,
    duration_ms: float,
    memory_mb: int,
    arch: str,
    front: str,
    no_free_tier: bool,
    ephemeral_mb: int,
    provisioned_concurrency: int,
    request_kb: float,
    region: str,
    catalog: Path | None,
    budget: float | None,
    output: str,
) -> None:
    """Monthly cost of one Lambda function for a number of requests."""
    from aloft.cost.catalog import load_catalog
    from aloft.cost.platforms.aws_lambda import LambdaSpec, direct_hourly

    prices = load_catalog(region, catalog)
    spec = LambdaSpec(
        memory_mb=memory_mb,
        duration_ms=duration_ms,
        arch=arch,
        front=front,
        free_tier=not no_free_tier,
        ephemeral_mb=ephemeral_mb,
        provisioned_concurrency=provisioned_concurrency,
        request_kb=request_kb,
    )
    if duration_ms <= 0:
        raise ConfigError("--duration-ms: use a duration above 0")
    _print_estimate(spec.month(direct_hourly(requests), prices), output, budget)


@cost.command("fargate")
@click.option("--tasks", type=int, default=1, show_default=True, help="Tasks running all the time.")
@click.option("--vcpu", type=float, default=0.5, show_default=True)
@click.option("--memory-gb", type=float, default=1.0, show_default=True)
@click.option("--arch", type=click.Choice(["x86_64", "arm64"]), default="x86_64", show_default=True)
@click.option(
    "--hours", type=click.IntRange(min=1), default=730, show_default=True, help="Hours per month."
)
@click.option("--ephemeral-gb", type=float, default=20.0, show_default=True)
@click.option(
    "--alb", is_flag=True, help="Add an Application Load Balancer (hours only, no traffic)."
)
@_catalog_options
@output_option
def fargate_cmd(
    *,
    tasks: int,
    vcpu: float,
    memory_gb: float,
    arch: str,
    hours: int,
    ephemeral_gb: float,
    alb: bool,
    region: str,
    catalog: Path | None,
    budget: float | None,
    output: str,
) -> None:
    """Monthly cost of Fargate tasks of one size."""
    from aloft.cost.catalog import load_catalog
    from aloft.cost.platforms.fargate import FargateSpec

    prices = load_catalog(region, catalog)
    spec = FargateSpec(
        tasks=tasks,
        vcpu=vcpu,
        memory_gb=memory_gb,
        arch=arch,
        ephemeral_gb=ephemeral_gb,
        load_balancer=alb,
    )
    _print_estimate(spec.month([0.0] * hours, prices), output, budget)


@cost.command("eks")
@click.option("--node-type", default="m6i.large", show_default=True)
@click.option("--nodes", type=click.IntRange(min=0), default=2, show_default=True)
@click.option("--hours", type=click.IntRange(min=1), default=730, show_default=True)
@click.option("--clusters", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--support", type=click.Choice(["standard", "extended"]), default="standard", show_default=True
)
@click.option(
    "--alb", is_flag=True, help="Add an Application Load Balancer (hours only, no traffic)."
)
@_catalog_options
@output_option
def eks_cmd(
    *,
    node_type: str,
    nodes: int,
    hours: int,
    clusters: int,
    support: str,
    alb: bool,
    region: str,
    catalog: Path | None,
    budget: float | None,
    output: str,
) -> None:
    """Monthly cost of an EKS cluster with a fixed number of nodes."""
    from aloft.cost.catalog import load_catalog
    from aloft.cost.platforms.eks import EksSpec

    prices = load_catalog(region, catalog)
    spec = EksSpec(
        node_type=node_type, nodes=nodes, clusters=clusters, support=support, load_balancer=alb
    )
    _print_estimate(spec.month([0.0] * hours, prices), output, budget)


@cost.group("catalog")
def catalog_group() -> None:
    """Show the prices aloft uses, or import newer ones from AWS Price List offer files."""


@catalog_group.command("show")
@click.option("--region", default="us-east-1", show_default=True)
@click.option("--catalog", type=click.Path(path_type=Path, dir_okay=False), default=None)
@output_option
def catalog_show(region: str, catalog: Path | None, output: str) -> None:
    """Every price with its unit, date and source."""
    from aloft.cost.catalog import load_catalog
    from aloft.cost.report import render_catalog

    prices = load_catalog(region, catalog)
    if output == "json":
        echo_json(prices.to_json())
    else:
        click.echo(render_catalog(prices))


@catalog_group.command("import")
@click.argument(
    "offer_files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False)
)
@click.option("--region", default="us-east-1", show_default=True)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Catalog TOML to write; set it as [tool.aloft.cost] catalog.",
)
@format_option(["text", "json"], "text", "json for scripts.", moved="--out")
def catalog_import(offer_files: tuple[Path, ...], region: str, out: Path, output: str) -> None:
    """Read AWS Price List offer files (JSON) and write the prices aloft knows as a catalog file."""
    from aloft.cost.offer_file import import_offer_files

    found = import_offer_files(list(offer_files), region, out)
    if output == "json":
        echo_json({"catalog": str(out), "region": region, "prices": sorted(found)})
    else:
        click.echo(f"wrote {out}: {len(found)} prices ({', '.join(sorted(found))})")
