"""REL009 rollout-drops-capacity: a rolling update that takes serving pods away, computed as the
Deployment controller computes it (apps/v1 RollingUpdateDeployment): a percentage of the replicas
rounds down for maxUnavailable and up for maxSurge, replicas default to 1, an HPA's minReplicas
stands in for replicas, and when both resolve to 0 the controller uses maxUnavailable 1."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from aloft.checks.kube.rules import KubeContext, ManifestHit, hpa_for, replicas
from aloft.kube.manifest import Manifest

ID = "REL009"
FIELD = "spec.strategy.rollingUpdate.maxUnavailable"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    if obj.get("kind") != "Deployment":
        return
    strategy = (obj.get("spec") or {}).get("strategy") or {}
    if strategy.get("type") == "Recreate":
        yield ManifestHit("spec.strategy.type", "Recreate stops every pod before starting new ones")
        return
    rolling = strategy.get("rollingUpdate") or {}
    hpa = hpa_for(obj, ctx)
    count = replicas(obj)
    if hpa is not None:
        minimum = (hpa.get("spec") or {}).get("minReplicas", 1)
        count = minimum if isinstance(minimum, int) else 1
    unavailable = resolve(rolling.get("maxUnavailable", "25%"), count, round_up=False)
    surge = resolve(rolling.get("maxSurge", "25%"), count, round_up=True)
    if unavailable is None or surge is None:
        return  # not a value the API accepts; the schema check reports it
    if unavailable == 0 and surge == 0:
        unavailable = 1
    if unavailable >= 1:
        given = rolling.get("maxUnavailable", "25%")
        yield ManifestHit(
            FIELD,
            f"maxUnavailable {given} of {count} replica(s) is {unavailable} pod(s) taken out of"
            " service during a rollout",
        )


def resolve(value: Any, total: int, *, round_up: bool) -> int | None:
    """An IntOrString as the controller scales it against `total` replicas."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.endswith("%") and text[:-1].isdigit():
        exact = int(text[:-1]) * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(text) if text.isdigit() else None
