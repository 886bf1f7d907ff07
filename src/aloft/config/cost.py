"""`[tool.aloft.cost]`: what `aloft cost` prices and `aloft profile` measures.

Region and catalog pick the prices; `traffic` the shape of the load; `budget_usd` makes `aloft cost`
fail (exit 1) when the estimate exceeds it, so CI can hold a service to a number. The per-platform
tables hold what only the cost model needs until the Lambda and Kubernetes sections land.
"""

from __future__ import annotations

from typing import Literal

from aloft.config.schema import setting, table

Platform = Literal["lambda", "fargate", "eks"]
PLATFORM_NAMES: tuple[Platform, ...] = ("lambda", "fargate", "eks")


@table
class TrafficSettings:
    kind: Literal["steady", "diurnal", "spiky", "measured"] = setting(
        default="steady", doc="the shape of the load over a day; measured: from csv"
    )
    rps: float | None = setting(default=None, ge=0, doc="mean requests per second")
    requests_per_month: float | None = setting(
        default=None, ge=0, doc="the volume as a monthly count, instead of rps"
    )
    peak_to_mean: float = setting(
        default=2.0, ge=1, le=2, doc="diurnal: the peak hour's rate over the mean"
    )
    peak_hour: int = setting(default=14, ge=0, le=23, doc="diurnal: hour of the peak (0-23)")
    curve: list[float] = setting(default_factory=list, doc="24 hourly weights (diurnal)")
    burst_multiplier: float = setting(
        default=10.0, ge=1, doc="spiky: a burst hour's rate over the baseline"
    )
    bursts_per_day: int = setting(default=2, ge=0, le=24, doc="spiky: one-hour bursts a day")
    csv: str = setting(default="", doc="hourly request counts (measured), relative to the project")

    def _check(self) -> None:
        if self.rps is not None and self.requests_per_month is not None:
            raise ValueError("give rps or requests_per_month, not both")
        if self.kind == "measured" and not self.csv:
            raise ValueError('kind = "measured" needs csv = "FILE" with hourly request counts')


@table
class LambdaCost:
    arch: Literal["x86_64", "arm64"] = setting(default="arm64", doc="the CPU priced")
    memory_mb: int | None = setting(default=None, ge=128, le=10240, doc="unset: right-size")
    front: Literal["http-api", "rest-api", "alb", "url", "none"] = setting(
        default="http-api", doc="what receives the HTTP requests"
    )
    free_tier: bool = setting(default=True, doc="count the monthly free tier")
    ephemeral_mb: int = setting(default=512, ge=512, le=10240, doc="/tmp size")
    provisioned_concurrency: int | None = setting(
        default=None,
        ge=0,
        doc="what-if: the HTTP function's provisioned concurrency to price (0: none); unset:"
        " what [tool.aloft.lambda] provisioned_concurrency deploys",
    )


@table
class FargateCost:
    arch: Literal["x86_64", "arm64"] = setting(default="arm64", doc="the CPU priced")
    vcpu: float = setting(default=0.5, doc="vCPU of one task")
    memory_gb: float = setting(default=1.0, doc="memory of one task, GB")
    min_tasks: int = setting(default=2, ge=0, doc="tasks at the quietest hour")
    max_tasks: int = setting(default=20, ge=1, doc="tasks autoscaling may reach")
    load_balancer: bool = setting(default=True, doc="add an Application Load Balancer")


@table
class EksCost:
    node_type: str = setting(default="m6i.large", doc="EC2 instance type of the nodes")
    min_nodes: int = setting(default=2, ge=0, doc="nodes kept however quiet it is")
    hpa_min: int = setting(default=2, ge=1, doc="the HPA's minimum pods")
    hpa_max: int = setting(default=20, ge=1, doc="the HPA's maximum pods")
    support: Literal["standard", "extended"] = setting(
        default="standard", doc="EKS version support tier (extended costs more)"
    )
    load_balancer: bool = setting(default=True, doc="add an Application Load Balancer")


@table
class RequestMix:
    method: str = setting(default="GET", doc="HTTP method")
    path: str = setting(default="/", doc="path and query requested")
    weight: float = setting(default=1.0, gt=0, doc="share of the mix, relative to the rest")
    body: str = setting(default="", doc="request body")


@table
class ProfileSettings:
    """How `aloft profile` drives the app: bounded in time and count, on 127.0.0.1 only."""

    requests: list[RequestMix] = setting(default_factory=lambda: [RequestMix()])
    seconds: float = setting(default=3.0, gt=0, le=60, doc="load duration, all steps")
    max_requests: int = setting(default=5000, ge=10, le=100_000, doc="request cap")
    concurrency: list[int] = setting(
        default_factory=lambda: [1, 2, 4], min_items=1, doc="clients of each load step"
    )


@table
class CostSettings:
    region: str = setting(default="us-east-1", doc="AWS region to price in")
    catalog: str = setting(default="", doc="user pricing catalog TOML overriding aloft's")
    profile: str = setting(default="aloft-profile.json", doc="written by aloft profile")
    platforms: list[Platform] = setting(
        default_factory=lambda: list(PLATFORM_NAMES), doc="the options compared"
    )
    target: Literal["lambda", "fargate", "eks", "cheapest"] = setting(
        default="cheapest", doc="the option the budget is checked against"
    )
    budget_usd: float | None = setting(
        default=None,
        ge=0,
        doc="monthly; `aloft cost` exits 1 above it, and the Lambda template gets an "
        "AWS Budget of this amount",
    )
    budget_alerts: list[float] = setting(
        default_factory=lambda: [80.0, 100.0],
        doc="percentages of budget_usd at which the AWS Budget alerts (actual spend)",
    )
    budget_emails: list[str] = setting(
        default_factory=list,
        doc="who the AWS Budget alerts; empty: an SNS topic the template creates",
    )
    latency_target_ms: float = setting(default=500.0, gt=0, doc="p99 right-sizing aims for")
    headroom: float = setting(default=0.3, ge=0, le=4, doc="spare share above measured use")
    duration_ms: float | None = setting(default=None, gt=0, doc="used when there is no profile")
    memory_mb: int | None = setting(default=None, gt=0, doc="used when there is no profile")
    pod_rps: float | None = setting(default=None, gt=0, doc="used when there is no profile")
    traffic: TrafficSettings = setting(default_factory=TrafficSettings)
    # `lambda` is a Python keyword: the field is lambda_, the TOML key (and config show) lambda.
    lambda_: LambdaCost = setting(default_factory=LambdaCost, key="lambda")
    fargate: FargateCost = setting(default_factory=FargateCost)
    eks: EksCost = setting(default_factory=EksCost)
    run: ProfileSettings = setting(default_factory=ProfileSettings)
