"""REL009 rollout-drops-capacity."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import Hit, KubeContext, replicas
from aloft.kube.manifest import Manifest

ID = "REL009"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[Hit]:
    if obj.get("kind") != "Deployment":
        return
    strategy = (obj.get("spec") or {}).get("strategy") or {}
    if strategy.get("type") == "Recreate":
        yield Hit("spec.strategy.type", "Recreate stops every pod before starting new ones")
        return
    value = (strategy.get("rollingUpdate") or {}).get("maxUnavailable", "25%")
    if value not in (0, "0", "0%") and (replicas(obj) > 1 or "replicas" not in obj["spec"]):
        yield Hit(
            "spec.strategy.rollingUpdate.maxUnavailable",
            f"maxUnavailable {value} takes serving pods away during a rollout",
        )
