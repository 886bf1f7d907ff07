"""Kustomize output: a base (the config without environment) and one overlay per
`[tool.aloft.environments.<name>]`, so `kubectl kustomize overlays/NAME` gives exactly the objects
`aloft k8s render --env NAME` does.

Overlays are derived, not hand-written: objects only the environment has are added as resources,
objects it lacks are deleted with a `$patch: delete`, and changed objects get an RFC 6902 JSON patch
computed from the two renderings.
"""

from __future__ import annotations

from typing import Any

from aloft.kube.manifest import Manifest
from aloft.kube.yamlio import dump, dump_one

Key = tuple[str, str, str]


def key(obj: Manifest) -> Key:
    return (obj["apiVersion"], obj["kind"], obj["metadata"]["name"])


def _file_name(obj: Manifest) -> str:
    return f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


def json_patch(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """RFC 6902 operations turning `old` into `new`; lists of different length are replaced."""
    if isinstance(old, dict) and isinstance(new, dict):
        ops: list[dict[str, Any]] = []
        for k in old:
            if k not in new:
                ops.append({"op": "remove", "path": f"{path}/{_escape(k)}"})
        for k, value in new.items():
            if k not in old:
                ops.append({"op": "add", "path": f"{path}/{_escape(k)}", "value": value})
            else:
                ops.extend(json_patch(old[k], value, f"{path}/{_escape(k)}"))
        return ops
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        ops = []
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            ops.extend(json_patch(a, b, f"{path}/{index}"))
        return ops
    if old == new and type(old) is type(new):
        return []
    return [{"op": "replace", "path": path or "/", "value": new}]


def _escape(part: str) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _target(obj: Manifest) -> dict[str, str]:
    group, _, version = obj["apiVersion"].rpartition("/")
    target = {"version": version, "kind": obj["kind"], "name": obj["metadata"]["name"]}
    if group:
        target["group"] = group
    return target


def base_files(objects: list[Manifest]) -> dict[str, str]:
    files = {f"base/{_file_name(obj)}": dump_one(obj) for obj in objects}
    files["base/kustomization.yaml"] = dump_one(
        {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [_file_name(obj) for obj in objects],
        }
    )
    return files


def overlay_files(name: str, base: list[Manifest], env: list[Manifest]) -> dict[str, str]:
    prefix = f"overlays/{name}/"
    base_by_key = {key(obj): obj for obj in base}
    env_by_key = {key(obj): obj for obj in env}
    files: dict[str, str] = {}
    resources = ["../../base"]
    patches: list[dict[str, Any]] = []
    for obj in env:
        k = key(obj)
        if k not in base_by_key:
            files[prefix + _file_name(obj)] = dump_one(obj)
            resources.append(_file_name(obj))
            continue
        ops = json_patch(base_by_key[k], obj)
        if ops:
            patch_name = f"patch-{_file_name(obj)}"
            files[prefix + patch_name] = dump_one(ops)
            patches.append({"path": patch_name, "target": _target(obj)})
    for k, obj in base_by_key.items():
        if k not in env_by_key:
            delete = {
                "$patch": "delete",
                "apiVersion": obj["apiVersion"],
                "kind": obj["kind"],
                "metadata": {"name": obj["metadata"]["name"]},
            }
            patches.append({"patch": dump_one(delete), "target": _target(obj)})
    kustomization: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources,
    }
    if patches:
        kustomization["patches"] = patches
    files[prefix + "kustomization.yaml"] = dump_one(kustomization)
    return files


def kustomize_tree(base: list[Manifest], environments: dict[str, list[Manifest]]) -> dict[str, str]:
    files = base_files(base)
    for name, objects in sorted(environments.items()):
        files.update(overlay_files(name, base, objects))
    return files


__all__ = ["base_files", "dump", "json_patch", "kustomize_tree", "overlay_files"]
