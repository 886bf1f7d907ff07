"""SEC002 service-account-token-mounted: the pod (or its ServiceAccount, when checked together)
must turn the token automount off."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import Hit, KubeContext, template_path
from aloft.kube.manifest import Manifest, pod_spec

ID = "SEC002"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[Hit]:
    spec = pod_spec(obj)
    if spec is None:
        return
    setting = spec.get("automountServiceAccountToken")
    if setting is False:
        return
    if setting is None:
        account = spec.get("serviceAccountName") or "default"
        for sa in ctx.of_kind("ServiceAccount"):
            named = (sa.get("metadata") or {}).get("name") == account
            if named and sa.get("automountServiceAccountToken") is False:
                return
    yield Hit(
        f"{template_path(obj)}.automountServiceAccountToken",
        "the pod mounts a Kubernetes API token",
    )
