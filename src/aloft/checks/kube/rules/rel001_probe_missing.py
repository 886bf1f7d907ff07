"""REL001 probe-missing: serving containers need readiness and liveness probes."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import SERVING_KINDS, KubeContext, ManifestHit, template_path
from aloft.kube.manifest import Manifest, pod_spec

ID = "REL001"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    if obj.get("kind") not in SERVING_KINDS:
        return
    spec = pod_spec(obj) or {}
    for index, item in enumerate(spec.get("containers") or []):
        if not isinstance(item, dict):
            continue
        missing = [p for p in ("readinessProbe", "livenessProbe") if not item.get(p)]
        if missing:
            # aloft's own paths only for a container aloft runs (it sets ALOFT_* variables).
            env = item.get("env") or []
            aloft = any(
                isinstance(e, dict) and str(e.get("name", "")).startswith("ALOFT_") for e in env
            )
            hint = "; aloft serves /readyz and /healthz" if aloft else ""
            yield ManifestHit(
                f"{template_path(obj)}.containers.{index}",
                f"container {item.get('name')} has no {' or '.join(missing)}{hint}",
            )
