"""PSS006 no-seccomp-profile: the pod's profile (field or, before 1.25, annotation) or every
container's must be RuntimeDefault or Localhost."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aloft.checks.kube.rules import KubeContext, ManifestHit, containers, security, template_path
from aloft.kube.manifest import Manifest, pod_spec

ID = "PSS006"
GOOD = frozenset({"RuntimeDefault", "Localhost"})
GOOD_ANNOTATION = ("runtime/default", "docker/default", "localhost/")


def _profile(context: dict[str, Any]) -> str | None:
    profile = context.get("seccompProfile")
    return profile.get("type") if isinstance(profile, dict) else None


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    spec = pod_spec(obj)
    if spec is None:
        return
    pod = security(spec)
    pod_type = _profile(pod)
    if pod_type is not None and pod_type not in GOOD:
        yield ManifestHit(
            f"{template_path(obj)}.securityContext.seccompProfile", f"seccomp is {pod_type}"
        )
        return
    annotations = ((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}
    annotation = (annotations.get("annotations") or {}).get(
        "seccomp.security.alpha.kubernetes.io/pod", ""
    )
    pod_ok = pod_type in GOOD or str(annotation).startswith(GOOD_ANNOTATION)
    for path, item in containers(obj):
        own = _profile(security(item))
        if own is not None and own not in GOOD:
            yield ManifestHit(
                f"{path}.securityContext.seccompProfile", f"container seccomp is {own}"
            )
        elif own is None and not pod_ok:
            yield ManifestHit(
                f"{path}.securityContext",
                f"container {item.get('name')} has no seccomp profile (pod sets none either)",
            )
