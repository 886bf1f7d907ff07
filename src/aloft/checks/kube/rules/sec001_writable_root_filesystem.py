"""SEC001 writable-root-filesystem."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import KubeContext, ManifestHit, containers, security
from aloft.kube.manifest import Manifest

ID = "SEC001"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    for path, item in containers(obj):
        if security(item).get("readOnlyRootFilesystem") is not True:
            yield ManifestHit(
                f"{path}.securityContext",
                f"container {item.get('name')} has a writable root filesystem",
            )
