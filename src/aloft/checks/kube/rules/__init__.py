"""Manifest rules: one module per rule, found by walking this package.

A rule module names its catalog entry with `ID` and defines
`check(obj, ctx) -> Iterable[ManifestHit]`, called once per object; `ctx` holds every object
checked together (for rules that pair objects, such as a Deployment and its PodDisruptionBudget).
Adding a rule is adding a module here and its entry in ../catalog.toml.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from aloft.checks import catalog
from aloft.kube.manifest import Manifest, pod_spec, selector_miss

# Kinds whose pods run for good and serve: probes, budgets and spread matter for them.
SERVING_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"})


@dataclasses.dataclass(frozen=True)
class ManifestHit:
    field: str  # dotted path in the object; the engine turns it into a line
    message: str


@dataclasses.dataclass(frozen=True)
class KubeContext:
    objects: list[Manifest]

    def of_kind(self, *kinds: str) -> Iterator[Manifest]:
        return (o for o in self.objects if o.get("kind") in kinds)


def template_path(obj: Manifest) -> str:
    kind = obj.get("kind")
    if kind == "Pod":
        return "spec"
    if kind == "CronJob":
        return "spec.jobTemplate.spec.template.spec"
    return "spec.template.spec"


def containers(obj: Manifest) -> Iterator[tuple[str, dict[str, Any]]]:
    """(field path, container) for every container and init container of a workload."""
    spec = pod_spec(obj)
    if spec is None:
        return
    base = template_path(obj)
    for group in ("initContainers", "containers"):
        for index, item in enumerate(spec.get(group) or []):
            if isinstance(item, dict):
                yield f"{base}.{group}.{index}", item


def security(item: dict[str, Any]) -> dict[str, Any]:
    """The securityContext of a container or of a pod spec ({} when unset or malformed)."""
    value = item.get("securityContext")
    return value if isinstance(value, dict) else {}


def matches(selector: Any, labels: Any) -> bool:
    """A LabelSelector (or a plain label map) selects these labels; an empty one selects none."""
    if not isinstance(selector, dict) or not isinstance(labels, dict):
        return False
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        selector = {"matchLabels": selector}
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        return False
    return selector_miss(selector, labels) is None


def template_labels(obj: Manifest) -> dict[str, Any]:
    spec = obj.get("spec") or {}
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    return labels if isinstance(labels, dict) else {}


def replicas(obj: Manifest) -> int:
    value = (obj.get("spec") or {}).get("replicas", 1)
    return value if isinstance(value, int) else 1


def hpa_for(obj: Manifest, ctx: KubeContext) -> Manifest | None:
    name = (obj.get("metadata") or {}).get("name")
    for hpa in ctx.of_kind("HorizontalPodAutoscaler"):
        ref = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        if ref.get("kind") == obj.get("kind") and ref.get("name") == name:
            return hpa
    return None


def replicated(obj: Manifest, ctx: KubeContext) -> bool:
    """A Deployment or StatefulSet that runs two pods or more, or that an autoscaler scales."""
    if obj.get("kind") not in ("Deployment", "StatefulSet"):
        return False
    return replicas(obj) >= 2 or hpa_for(obj, ctx) is not None


@functools.cache
def rule_modules() -> dict[str, ModuleType]:
    """Rule id -> its module."""
    return catalog.rule_modules(__name__, __path__)
