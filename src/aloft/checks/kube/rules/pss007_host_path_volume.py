"""PSS007 host-path-volume."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import KubeContext, ManifestHit, template_path
from aloft.kube.manifest import Manifest, pod_spec

ID = "PSS007"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    spec = pod_spec(obj) or {}
    for index, volume in enumerate(spec.get("volumes") or []):
        if isinstance(volume, dict) and "hostPath" in volume:
            yield ManifestHit(
                f"{template_path(obj)}.volumes.{index}.hostPath",
                f"volume {volume.get('name')} mounts the node's {volume['hostPath'].get('path')}",
            )
