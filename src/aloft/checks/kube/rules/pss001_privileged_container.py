"""PSS001 privileged-container."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import Hit, KubeContext, containers, security
from aloft.kube.manifest import Manifest

ID = "PSS001"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[Hit]:
    for path, item in containers(obj):
        if security(item).get("privileged") is True:
            yield Hit(
                f"{path}.securityContext.privileged", f"container {item.get('name')} is privileged"
            )
