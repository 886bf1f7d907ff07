"""ServiceAccount: one identity per service, with no API token mounted unless asked for."""

from __future__ import annotations

from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec


def render(svc: ServiceSpec) -> list[Manifest]:
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": svc.meta(svc.name),
            # A web service rarely calls the API; a stolen token is then worth nothing.
            "automountServiceAccountToken": False,
        }
    ]
