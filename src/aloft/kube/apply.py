"""Server-side apply with the field manager "aloft", its dry-run, and the diff between what the
server would store and what it stores now."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from aloft.exceptions import OperationFailed
from aloft.kube.client import FIELD_MANAGER, Cluster, api_message
from aloft.kube.manifest import Manifest, ident

# Fields the server sets on every write; a diff that shows them is noise.
_VOLATILE_META = frozenset(
    {"managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink"}
)
_VOLATILE_ANNOTATIONS = frozenset({"deployment.kubernetes.io/revision"})


@dataclasses.dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any


@dataclasses.dataclass(frozen=True)
class ObjectDiff:
    ident: str
    action: str  # "create", "update", "unchanged", "prune", "skip"
    changes: list[Change] = dataclasses.field(default_factory=list)
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"object": self.ident, "action": self.action}
        if self.changes:
            out["changes"] = [{"path": c.path, "old": c.old, "new": c.new} for c in self.changes]
        if self.note:
            out["note"] = self.note
        return out


def get_live(cluster: Cluster, obj: Manifest) -> dict[str, Any] | None:
    from kubernetes.client.exceptions import ApiException

    resource = cluster.resource_for(obj)
    if resource is None:
        return None
    meta = obj["metadata"]
    try:
        live = resource.get(name=meta["name"], namespace=meta.get("namespace"))
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise OperationFailed(f"{ident(obj)}: cannot read ({api_message(exc)})") from None
    result: dict[str, Any] = live.to_dict()
    return result


def apply(
    cluster: Cluster, obj: Manifest, *, dry_run: bool, manager: str = FIELD_MANAGER
) -> dict[str, Any]:
    """Server-side apply; `force_conflicts` because aloft owns every field it renders."""
    from kubernetes.client.exceptions import ApiException

    resource = cluster.resource_for(obj)
    if resource is None:
        raise OperationFailed(f"{ident(obj)}: the cluster does not serve {obj['apiVersion']}")
    kwargs: dict[str, Any] = {"field_manager": manager, "force_conflicts": True}
    if dry_run:
        kwargs["dry_run"] = "All"
    try:
        result = cluster.dynamic.server_side_apply(
            resource, body=obj, namespace=obj["metadata"].get("namespace"), **kwargs
        )
    except ApiException as exc:
        mode = "dry-run " if dry_run else ""
        raise OperationFailed(f"{ident(obj)}: {mode}apply refused: {api_message(exc)}") from None
    applied: dict[str, Any] = result.to_dict()
    return applied


def comparable(obj: dict[str, Any] | None) -> dict[str, Any] | None:
    if obj is None:
        return None
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _VOLATILE_META}
    notes = {
        k: v for k, v in (meta.get("annotations") or {}).items() if k not in _VOLATILE_ANNOTATIONS
    }
    if notes:
        meta["annotations"] = notes
    else:
        meta.pop("annotations", None)
    out["metadata"] = meta
    return out


def changes(old: Any, new: Any, path: str = "") -> list[Change]:
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[Change] = []
        for key in sorted(set(old) | set(new), key=str):
            found.extend(changes(old.get(key), new.get(key), f"{path}.{key}" if path else str(key)))
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        found = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            found.extend(changes(a, b, f"{path}.{index}"))
        return found
    return [] if old == new else [Change(path, old, new)]


def diff_object(cluster: Cluster, obj: Manifest) -> ObjectDiff:
    """What applying `obj` would change, judged by the server's own dry-run result."""
    live = comparable(get_live(cluster, obj))
    planned = comparable(apply(cluster, obj, dry_run=True))
    if live is None:
        return ObjectDiff(ident(obj), "create")
    found = changes(live, planned)
    return ObjectDiff(ident(obj), "update" if found else "unchanged", found)


def format_diffs(diffs: Iterable[ObjectDiff]) -> str:
    marks = {"create": "+", "update": "~", "unchanged": "=", "prune": "-", "skip": "!"}
    lines = []
    for item in diffs:
        line = f"{marks[item.action]} {item.ident}"
        if item.note:
            line += f"  ({item.note})"
        lines.append(line)
        for change in item.changes:
            lines.append(f"    {change.path}: {_short(change.old)} -> {_short(change.new)}")
    return "\n".join(lines) + ("\n" if lines else "")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."
