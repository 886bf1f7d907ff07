"""REL002 probes-identical."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import KubeContext, ManifestHit, containers
from aloft.kube.manifest import Manifest

ID = "REL002"
# What makes a probe ask a different question; timing fields do not.
_HANDLERS = ("httpGet", "tcpSocket", "exec", "grpc")


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    for path, item in containers(obj):
        live, ready = item.get("livenessProbe"), item.get("readinessProbe")
        if not isinstance(live, dict) or not isinstance(ready, dict):
            continue
        if all(live.get(h) == ready.get(h) for h in _HANDLERS):
            yield ManifestHit(
                f"{path}.livenessProbe",
                f"container {item.get('name')}'s liveness and readiness probes ask the same thing",
            )
