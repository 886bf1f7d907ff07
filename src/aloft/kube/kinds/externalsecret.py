"""ExternalSecret (External Secrets Operator, external-secrets.io/v1beta1): the operator copies
keys from a secret manager such as AWS Secrets Manager into a Secret the Deployment reads."""

from __future__ import annotations

from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec

API_VERSION = "external-secrets.io/v1beta1"


def render(svc: ServiceSpec) -> list[Manifest]:
    ext = svc.workload.external_secret
    if ext is None:
        return []
    data = []
    for env, remote in sorted(ext.data.items()):
        key, _, prop = remote.partition("#")
        ref = {"key": key}
        if prop:
            ref["property"] = prop
        data.append({"secretKey": env, "remoteRef": ref})
    return [
        {
            "apiVersion": API_VERSION,
            "kind": "ExternalSecret",
            "metadata": svc.meta(svc.name),
            "spec": {
                "refreshInterval": ext.refresh_interval,
                "secretStoreRef": {"name": ext.store, "kind": ext.store_kind},
                "target": {"name": svc.external_secret_name, "creationPolicy": "Owner"},
                "data": data,
            },
        }
    ]
