"""PSS003 privilege-escalation."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import KubeContext, ManifestHit, containers, security
from aloft.kube.manifest import Manifest

ID = "PSS003"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    for path, item in containers(obj):
        if security(item).get("allowPrivilegeEscalation") is not False:
            yield ManifestHit(
                f"{path}.securityContext",
                f"container {item.get('name')} does not set allowPrivilegeEscalation: false",
            )
