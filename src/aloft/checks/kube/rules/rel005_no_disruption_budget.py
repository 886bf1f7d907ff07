"""REL005 no-disruption-budget: a replicated workload checked without a PDB selecting its pods."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import (
    KubeContext,
    ManifestHit,
    matches,
    replicated,
    template_labels,
)
from aloft.kube.manifest import Manifest

ID = "REL005"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    if not replicated(obj, ctx):
        return
    labels = template_labels(obj)
    namespace = (obj.get("metadata") or {}).get("namespace")
    for pdb in ctx.of_kind("PodDisruptionBudget"):
        if (pdb.get("metadata") or {}).get("namespace") != namespace:
            continue
        if matches((pdb.get("spec") or {}).get("selector"), labels):
            return
    yield ManifestHit("spec", "no PodDisruptionBudget selects these replicated pods")
