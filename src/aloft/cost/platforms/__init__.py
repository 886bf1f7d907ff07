"""One small model per platform, each a frozen spec with the same interface.

`month(hourly, catalog)` prices one billing month of hourly request counts and returns an itemised
Estimate; `platform` names it and `kind` says whether it bills per request or per running capacity.
Adding a platform is adding a module and one entry in PLATFORMS.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from aloft.cost.catalog import Catalog
from aloft.cost.estimate import Estimate
from aloft.cost.platforms.aws_lambda import LambdaSpec
from aloft.cost.platforms.eks import EksSpec
from aloft.cost.platforms.fargate import FargateSpec


class PlatformModel(Protocol):
    @property
    def platform(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def label(self) -> str: ...
    def month(self, hourly: Sequence[float], catalog: Catalog) -> Estimate: ...


PLATFORMS: dict[str, type] = {"lambda": LambdaSpec, "fargate": FargateSpec, "eks": EksSpec}

__all__ = ["PLATFORMS", "EksSpec", "FargateSpec", "LambdaSpec", "PlatformModel"]
