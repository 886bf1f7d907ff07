"""ConfigMaps named by a hash of their content: a config change is a new name, which changes the
pod template and so rolls the pods; the old map stays for the revision kept for rollback."""

from __future__ import annotations

from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec


def render(svc: ServiceSpec) -> list[Manifest]:
    maps: list[Manifest] = [_map(svc, svc.config_map_name, svc.config_env)]
    if svc.workload.files:
        maps.append(_map(svc, svc.files_map_name, svc.workload.files))
    return maps


def _map(svc: ServiceSpec, name: str, data: dict[str, str]) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": svc.meta(name),
        # Never edited in place (the name is its content), so the kubelet need not watch it.
        "immutable": True,
        "data": dict(sorted(data.items())),
    }
