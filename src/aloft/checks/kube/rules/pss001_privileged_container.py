"""PSS001 privileged-container."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import KubeContext, ManifestHit, containers, security
from aloft.kube.manifest import Manifest

ID = "PSS001"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    for path, item in containers(obj):
        if security(item).get("privileged") is True:
            yield ManifestHit(
                f"{path}.securityContext.privileged", f"container {item.get('name')} is privileged"
            )
