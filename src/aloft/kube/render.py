"""Render the project's manifests: every service through every kind module, in apply order."""

from __future__ import annotations

import dataclasses

from aloft.config import ResolvedConfig
from aloft.kube.kinds import KINDS
from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec, service_specs
from aloft.kube.versions import KubeVersion


@dataclasses.dataclass(frozen=True)
class Rendered:
    version: KubeVersion
    services: list[ServiceSpec]
    objects: list[Manifest]


def configured_version(resolved: ResolvedConfig, override: str | None) -> KubeVersion | None:
    """--kube-version, else [tool.aloft.kubernetes] kube_version, else None (not configured)."""
    if override:
        return KubeVersion.parse(override)
    if resolved.config.kubernetes.kube_version:
        return KubeVersion.parse(
            resolved.config.kubernetes.kube_version, what="[tool.aloft.kubernetes] kube_version"
        )
    return None


def target_version(resolved: ResolvedConfig, override: str | None) -> KubeVersion:
    """The configured version (configured_version), else the newest aloft knows."""
    return configured_version(resolved, override) or KubeVersion.latest()


def render(resolved: ResolvedConfig, image: str, version: KubeVersion) -> Rendered:
    specs = service_specs(resolved, image, version)
    objects: list[Manifest] = []
    for _, renderer in KINDS:
        for svc in specs:
            objects.extend(renderer(svc))
    return Rendered(version, specs, objects)
