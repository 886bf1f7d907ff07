"""PSS008 host-port."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import KubeContext, ManifestHit, containers
from aloft.kube.manifest import Manifest

ID = "PSS008"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    for path, item in containers(obj):
        for index, port in enumerate(item.get("ports") or []):
            if isinstance(port, dict) and port.get("hostPort"):
                yield ManifestHit(
                    f"{path}.ports.{index}.hostPort", f"binds node port {port['hostPort']}"
                )
