"""SEC002 service-account-token-mounted: the pod (or its ServiceAccount, when checked together)
must turn the token automount off."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import KubeContext, ManifestHit, template_path
from aloft.kube.manifest import Manifest, pod_spec

ID = "SEC002"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    spec = pod_spec(obj)
    if spec is None:
        return
    setting = spec.get("automountServiceAccountToken")
    if setting is False:
        return
    account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    namespace = (obj.get("metadata") or {}).get("namespace")
    if setting is True and _bound(account, namespace, ctx):
        return  # asked for on purpose, by a workload that talks to the API with granted roles
    if setting is None:
        for sa in ctx.of_kind("ServiceAccount"):
            named = (sa.get("metadata") or {}).get("name") == account
            if named and sa.get("automountServiceAccountToken") is False:
                return
    message = (
        f"the pod mounts a Kubernetes API token, but no RoleBinding or ClusterRoleBinding in the"
        f" checked manifests grants service account {account!r} a role"
        if setting is True
        else "the pod mounts a Kubernetes API token"
    )
    yield ManifestHit(f"{template_path(obj)}.automountServiceAccountToken", message)


def _bound(account: str, namespace: str | None, ctx: KubeContext) -> bool:
    """A RoleBinding or ClusterRoleBinding names this service account as a subject."""
    for binding in ctx.of_kind("RoleBinding", "ClusterRoleBinding"):
        owner_ns = (binding.get("metadata") or {}).get("namespace")
        for subject in binding.get("subjects") or []:
            if not isinstance(subject, dict) or subject.get("kind") != "ServiceAccount":
                continue
            subject_ns = subject.get("namespace") or owner_ns
            if subject.get("name") == account and (
                namespace is None or subject_ns in (None, namespace)
            ):
                return True
    return False
