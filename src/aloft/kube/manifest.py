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


# LabelSelector operators (meta/v1): what the API server accepts in matchExpressions.
SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def selector_miss(selector: dict[str, Any], labels: dict[str, Any]) -> str | None:
    """The first requirement of a LabelSelector these labels fail, or None if it selects them.

    The API's semantics: matchLabels and every matchExpressions entry must all hold; NotIn and
    DoesNotExist hold for a missing key; an empty selector selects everything.
    """
    wanted = selector.get("matchLabels") or {}
    if not isinstance(wanted, dict):
        return "matchLabels is not a map"
    for key, value in wanted.items():
        if key not in labels:
            return f"matchLabels {key}={value}: the template has no label {key}"
        if str(labels[key]) != str(value):
            return f"matchLabels {key}={value}: the template has {key}={labels[key]}"
    expressions = selector.get("matchExpressions") or []
    if not isinstance(expressions, list):
        return "matchExpressions is not a list"
    for item in expressions:
        if not isinstance(item, dict):
            return "a matchExpressions entry is not a map"
        key, operator = str(item.get("key")), item.get("operator")
        values = [str(v) for v in item.get("values") or []]
        has = key in labels
        value = str(labels[key]) if has else None
        if operator == "In":
            ok = has and value in values
        elif operator == "NotIn":
            ok = not has or value not in values
        elif operator == "Exists":
            ok = has
        elif operator == "DoesNotExist":
            ok = not has
        else:
            known = ", ".join(SELECTOR_OPERATORS)
            return f"matchExpressions operator {operator!r} is not one of {known}"
        if not ok:
            shown = f" {values}" if operator in ("In", "NotIn") else ""
            actual = f"{key}={value}" if has else f"no label {key}"
            return f"matchExpressions {key} {operator}{shown}: the template has {actual}"
    return None
