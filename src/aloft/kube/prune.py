"""Prune: delete what an earlier `aloft k8s deploy` of this project applied and the config no
longer renders. Only objects carrying this project's inventory label and aloft's managed-by label
are candidates; hashed ConfigMaps a kept ReplicaSet still references stay for rollback."""

from __future__ import annotations

from typing import Any

from aloft.kube.client import Cluster
from aloft.kube.manifest import INVENTORY_LABEL, MANAGED_BY, Manifest
from aloft.kube.rollout import replica_sets


def prunable_kinds(cluster: Cluster) -> list[tuple[str, str]]:
    version = cluster.version
    kinds = [
        ("v1", "ServiceAccount"),
        ("v1", "ConfigMap"),
        ("v1", "Service"),
        ("apps/v1", "Deployment"),
        ("batch/v1", "Job"),
        (version.cronjob, "CronJob"),
        ("rbac.authorization.k8s.io/v1", "Role"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        (version.autoscaling, "HorizontalPodAutoscaler"),
        (version.pdb, "PodDisruptionBudget"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("networking.k8s.io/v1", "Ingress"),
        ("gateway.networking.k8s.io/v1", "HTTPRoute"),
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
        ("external-secrets.io/v1beta1", "ExternalSecret"),
    ]
    return [(a, k) for a, k in kinds if cluster.resource(a, k) is not None]


def _kept_config_maps(cluster: Cluster, namespace: str, deployments: list[str]) -> set[str]:
    kept: set[str] = set()
    for name in deployments:
        try:
            dep = cluster.api_apps.read_namespaced_deployment(name, namespace).to_dict()
        except Exception:  # gone or never created: nothing of it to keep
            continue
        for rs in replica_sets(cluster, dep):
            pod = rs["spec"]["template"]["spec"]
            for container in pod.get("containers") or []:
                for source in container.get("env_from") or []:
                    ref = source.get("config_map_ref")
                    if ref:
                        kept.add(ref["name"])
            for volume in pod.get("volumes") or []:
                if volume.get("config_map"):
                    kept.add(volume["config_map"]["name"])
    return kept


def candidates(
    cluster: Cluster, project: str, namespace: str, rendered: list[Manifest]
) -> list[dict[str, Any]]:
    """Live objects to delete: labelled as this project's, managed by aloft, not rendered now."""
    wanted = {(o["kind"], o["metadata"]["name"]) for o in rendered}
    deployments = [o["metadata"]["name"] for o in rendered if o["kind"] == "Deployment"]
    selector = f"{INVENTORY_LABEL}={project},app.kubernetes.io/managed-by={MANAGED_BY}"
    kept_maps: set[str] | None = None
    found = []
    for api_version, kind in prunable_kinds(cluster):
        resource = cluster.resource(api_version, kind)
        if resource is None:
            continue
        items = resource.get(namespace=namespace, label_selector=selector).items
        for item in items:
            name = item.metadata.name
            if (kind, name) in wanted:
                continue
            if kind == "ConfigMap":
                if kept_maps is None:
                    kept_maps = _kept_config_maps(cluster, namespace, deployments)
                if name in kept_maps:
                    continue
            found.append(
                {
                    "apiVersion": api_version,
                    "kind": kind,
                    "metadata": {"name": name, "namespace": namespace},
                }
            )
    return found


def delete(cluster: Cluster, obj: dict[str, Any]) -> None:
    from kubernetes.client.exceptions import ApiException

    resource = cluster.resource(obj["apiVersion"], obj["kind"])
    if resource is None:
        return
    try:
        resource.delete(
            name=obj["metadata"]["name"],
            namespace=obj["metadata"]["namespace"],
            body={"propagationPolicy": "Background"},
        )
    except ApiException as exc:
        if exc.status != 404:
            raise
