"""REL007 no-spread: a replicated workload without topology spread or pod anti-affinity."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import KubeContext, ManifestHit, replicated, template_path
from aloft.kube.manifest import Manifest, pod_spec

ID = "REL007"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    if not replicated(obj, ctx):
        return
    spec = pod_spec(obj) or {}
    anti = (spec.get("affinity") or {}).get("podAntiAffinity")
    if spec.get("topologySpreadConstraints") or anti:
        return
    yield ManifestHit(template_path(obj), "replicas may all land on one node or zone")
