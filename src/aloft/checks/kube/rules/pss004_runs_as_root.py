"""PSS004 runs-as-root: runAsNonRoot must hold for every container (set on the pod or on each
container), and no runAsUser may be 0."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import KubeContext, ManifestHit, containers, security, template_path
from aloft.kube.manifest import Manifest, pod_spec

ID = "PSS004"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    spec = pod_spec(obj)
    if spec is None:
        return
    pod = security(spec)
    base = template_path(obj)
    if pod.get("runAsUser") == 0:
        yield ManifestHit(f"{base}.securityContext.runAsUser", "the pod runs as UID 0 (root)")
    for path, item in containers(obj):
        ctx_ = security(item)
        if ctx_.get("runAsUser") == 0:
            yield ManifestHit(
                f"{path}.securityContext.runAsUser", f"container {item.get('name')} runs as root"
            )
        elif ctx_.get("runAsNonRoot", pod.get("runAsNonRoot")) is not True:
            yield ManifestHit(
                f"{path}.securityContext",
                f"container {item.get('name')} may run as root (runAsNonRoot is not true)",
            )
