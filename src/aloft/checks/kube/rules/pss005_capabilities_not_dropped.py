"""PSS005 capabilities-not-dropped."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import KubeContext, ManifestHit, containers, security
from aloft.kube.manifest import Manifest

ID = "PSS005"
ALLOWED_ADD = frozenset({"NET_BIND_SERVICE"})


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    for path, item in containers(obj):
        caps = security(item).get("capabilities") or {}
        drop = {str(c) for c in caps.get("drop") or []}
        if "ALL" not in drop:
            spelt = sorted(c for c in drop if c.upper() == "ALL")
            message = (
                f"container {item.get('name')} drops {spelt[0]!r}; Pod Security's restricted"
                " profile accepts only the exact value ALL"
                if spelt
                else f"container {item.get('name')} does not drop ALL capabilities"
            )
            yield ManifestHit(f"{path}.securityContext.capabilities", message)
        added = {str(c).upper() for c in caps.get("add") or []} - ALLOWED_ADD
        if added:
            yield ManifestHit(
                f"{path}.securityContext.capabilities.add",
                f"container {item.get('name')} adds {', '.join(sorted(added))}",
            )
