"""`[tool.aloft.cost]`: what `aloft cost` prices and `aloft profile` measures.

Region and catalog pick the prices; `traffic` the shape of the load; `budget_usd` makes `aloft cost`
fail (exit 1) when the estimate exceeds it, so CI can hold a service to a number. The per-platform
tables hold what only the cost model needs until the Lambda and Kubernetes sections land.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Platform = Literal["lambda", "fargate", "eks"]
PLATFORM_NAMES: tuple[Platform, ...] = ("lambda", "fargate", "eks")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TrafficSettings(_Strict):
    kind: Literal["steady", "diurnal", "spiky", "measured"] = Field(
        default="steady", description="the shape of the load over a day; measured: from csv"
    )
    rps: float | None = Field(default=None, ge=0, description="mean requests per second")
    requests_per_month: float | None = Field(
        default=None, ge=0, description="the volume as a monthly count, instead of rps"
    )
    peak_to_mean: float = Field(
        default=2.0, ge=1, le=2, description="diurnal: the peak hour's rate over the mean"
    )
    peak_hour: int = Field(default=14, ge=0, le=23, description="diurnal: hour of the peak (0-23)")
    curve: list[float] = Field(default_factory=list, description="24 hourly weights (diurnal)")
    burst_multiplier: float = Field(
        default=10.0, ge=1, description="spiky: a burst hour's rate over the baseline"
    )
    bursts_per_day: int = Field(default=2, ge=0, le=24, description="spiky: one-hour bursts a day")
    csv: str = Field(
        default="", description="hourly request counts (measured), relative to the project"
    )

    @model_validator(mode="after")
    def _one_volume(self) -> TrafficSettings:
        if self.rps is not None and self.requests_per_month is not None:
            raise ValueError("give rps or requests_per_month, not both")
        if self.kind == "measured" and not self.csv:
            raise ValueError('kind = "measured" needs csv = "FILE" with hourly request counts')
        return self


class LambdaCost(_Strict):
    arch: Literal["x86_64", "arm64"] = Field(default="arm64", description="the CPU priced")
    memory_mb: int | None = Field(default=None, ge=128, le=10240, description="unset: right-size")
    front: Literal["http-api", "rest-api", "alb", "url", "none"] = Field(
        default="http-api", description="what receives the HTTP requests"
    )
    free_tier: bool = Field(default=True, description="count the monthly free tier")
    ephemeral_mb: int = Field(default=512, ge=512, le=10240, description="/tmp size")
    provisioned_concurrency: int = Field(
        default=0, ge=0, description="environments kept initialized, billed all month"
    )


class FargateCost(_Strict):
    arch: Literal["x86_64", "arm64"] = Field(default="arm64", description="the CPU priced")
    vcpu: float = Field(default=0.5, description="vCPU of one task")
    memory_gb: float = Field(default=1.0, description="memory of one task, GB")
    min_tasks: int = Field(default=2, ge=0, description="tasks at the quietest hour")
    max_tasks: int = Field(default=20, ge=1, description="tasks autoscaling may reach")
    load_balancer: bool = Field(default=True, description="add an Application Load Balancer")


class EksCost(_Strict):
    node_type: str = Field(default="m6i.large", description="EC2 instance type of the nodes")
    min_nodes: int = Field(default=2, ge=0, description="nodes kept however quiet it is")
    hpa_min: int = Field(default=2, ge=1, description="the HPA's minimum pods")
    hpa_max: int = Field(default=20, ge=1, description="the HPA's maximum pods")
    support: Literal["standard", "extended"] = Field(
        default="standard", description="EKS version support tier (extended costs more)"
    )
    load_balancer: bool = Field(default=True, description="add an Application Load Balancer")


class RequestMix(_Strict):
    method: str = Field(default="GET", description="HTTP method")
    path: str = Field(default="/", description="path and query requested")
    weight: float = Field(default=1.0, gt=0, description="share of the mix, relative to the rest")
    body: str = Field(default="", description="request body")


class ProfileSettings(_Strict):
    """How `aloft profile` drives the app: bounded in time and count, on 127.0.0.1 only."""

    requests: list[RequestMix] = Field(default_factory=lambda: [RequestMix()])
    seconds: float = Field(default=3.0, gt=0, le=60, description="load duration, all steps")
    max_requests: int = Field(default=5000, ge=10, le=100_000, description="request cap")
    concurrency: list[int] = Field(
        default_factory=lambda: [1, 2, 4], min_length=1, description="clients of each load step"
    )


class CostSettings(_Strict):
    # `lambda` is a Python keyword: the field is lambda_, but config show must print the TOML key.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    region: str = Field(default="us-east-1", description="AWS region to price in")
    catalog: str = Field(default="", description="user pricing catalog TOML overriding aloft's")
    profile: str = Field(default="aloft-profile.json", description="written by aloft profile")
    platforms: list[Platform] = Field(
        default_factory=lambda: list(PLATFORM_NAMES), description="the options compared"
    )
    target: Literal["lambda", "fargate", "eks", "cheapest"] = Field(
        default="cheapest", description="the option the budget is checked against"
    )
    budget_usd: float | None = Field(
        default=None,
        ge=0,
        description="monthly; `aloft cost` exits 1 above it, and the Lambda template gets an "
        "AWS Budget of this amount",
    )
    budget_alerts: list[float] = Field(
        default_factory=lambda: [80.0, 100.0],
        description="percentages of budget_usd at which the AWS Budget alerts (actual spend)",
    )
    budget_emails: list[str] = Field(
        default_factory=list,
        description="who the AWS Budget alerts; empty: an SNS topic the template creates",
    )
    latency_target_ms: float = Field(default=500.0, gt=0, description="p99 right-sizing aims for")
    headroom: float = Field(default=0.3, ge=0, le=4, description="spare share above measured use")
    duration_ms: float | None = Field(
        default=None, gt=0, description="used when there is no profile"
    )
    memory_mb: int | None = Field(default=None, gt=0, description="used when there is no profile")
    pod_rps: float | None = Field(default=None, gt=0, description="used when there is no profile")
    traffic: TrafficSettings = Field(default_factory=TrafficSettings)
    lambda_: LambdaCost = Field(default_factory=LambdaCost, alias="lambda")
    fargate: FargateCost = Field(default_factory=FargateCost)
    eks: EksCost = Field(default_factory=EksCost)
    run: ProfileSettings = Field(default_factory=ProfileSettings)
