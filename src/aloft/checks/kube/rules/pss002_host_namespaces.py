"""PSS002 host-namespaces."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import KubeContext, ManifestHit, template_path
from aloft.kube.manifest import Manifest, pod_spec

ID = "PSS002"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    spec = pod_spec(obj) or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field) is True:
            yield ManifestHit(
                f"{template_path(obj)}.{field}", f"the pod shares the node's namespace ({field})"
            )
