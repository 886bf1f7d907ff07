"""REL003 resources-missing."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import KubeContext, ManifestHit, containers
from aloft.kube.manifest import Manifest

ID = "REL003"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    for path, item in containers(obj):
        res = item.get("resources") or {}
        requests, limits = res.get("requests") or {}, res.get("limits") or {}
        missing = [f"requests.{r}" for r in ("cpu", "memory") if r not in requests]
        if "memory" not in limits:
            missing.append("limits.memory")
        if missing:
            yield ManifestHit(
                f"{path}.resources",
                f"container {item.get('name')} sets no {', '.join(missing)}",
            )
