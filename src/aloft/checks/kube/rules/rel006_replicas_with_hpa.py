"""REL006 replicas-with-hpa."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import KubeContext, ManifestHit, hpa_for
from aloft.kube.manifest import Manifest

ID = "REL006"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    if "replicas" not in (obj.get("spec") or {}):
        return
    hpa = hpa_for(obj, ctx)
    if hpa is not None:
        name = (hpa.get("metadata") or {}).get("name")
        yield ManifestHit(
            "spec.replicas", f"replicas is set while HorizontalPodAutoscaler {name} scales it"
        )
