"""A manifest object is a plain dict shaped as the API takes it; these helpers name its parts."""

from __future__ import annotations

from typing import Any

Manifest = dict[str, Any]

MANAGED_BY = "aloft"
# Label that marks what one project's `aloft k8s deploy` applied: the inventory prune works on.
INVENTORY_LABEL = "aloft/inventory"
# Per-object lint suppression: `aloft/ignore: "KUB010: reason; KUB020: reason"`.
IGNORE_ANNOTATION = "aloft/ignore"
# What one server worker needs (a memory quantity), for the worker-count check (REL011).
WORKER_MEMORY_ANNOTATION = "aloft/worker-memory"


def ident(obj: Manifest) -> str:
    """`Kind/namespace/name` (namespace omitted when unset), as findings and logs name objects."""
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    name = meta.get("name", "?")
    return f"{obj.get('kind', '?')}/{ns}/{name}" if ns else f"{obj.get('kind', '?')}/{name}"


def pod_spec(obj: Manifest) -> dict[str, Any] | None:
    """The pod spec inside any workload kind, or None for objects that run no pods."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return None
    kind = obj.get("kind")
    if kind == "Pod":
        return spec
    if kind == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    template = spec.get("template") if isinstance(spec, dict) else None
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        inner: dict[str, Any] = template["spec"]
        return inner
    return None


WORKLOAD_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"}
)
