"""REL010 hpa-min-below-two."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import KubeContext, ManifestHit
from aloft.kube.manifest import Manifest

ID = "REL010"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    if obj.get("kind") != "HorizontalPodAutoscaler":
        return
    value = (obj.get("spec") or {}).get("minReplicas", 1)
    if isinstance(value, int) and value < 2:
        yield ManifestHit("spec.minReplicas", f"minReplicas is {value}")
