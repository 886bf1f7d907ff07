"""The pod template the Deployment and the release Job share: Pod Security Standards "restricted"
plus a read-only root filesystem, config from ConfigMaps and Secret references only."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from aloft.kube.spec import TMP_SIZE, ServiceSpec
from aloft.runtime.spans import K8S_ENV

CONTAINER = "app"
SECCOMP_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"


def pod_security(svc: ServiceSpec) -> dict[str, Any]:
    return {
        "runAsNonRoot": True,
        "runAsUser": svc.uid,
        "runAsGroup": svc.uid,
        "fsGroup": svc.uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def override_env(container: dict[str, Any], values: Mapping[str, str]) -> None:
    """Give `container` the variables `values`, each replacing one of the same name: a function's
    own variables win over the service's, as they do on Lambda."""
    kept = [item for item in container.get("env") or [] if item["name"] not in values]
    container["env"] = [{"name": k, "value": v} for k, v in sorted(values.items())] + kept


def env_sources(svc: ServiceSpec) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(envFrom, env): the hashed ConfigMap, whole Secrets, and single Secret keys by reference."""
    env_from: list[dict[str, Any]] = [{"configMapRef": {"name": svc.config_map_name}}]
    for secret in svc.workload.secret_env_from:
        env_from.append({"secretRef": {"name": secret}})
    if svc.workload.external_secret:
        env_from.append({"secretRef": {"name": svc.external_secret_name}})
    env = []
    for name, ref in sorted(svc.workload.secret_env.items()):
        secret, _, key = ref.partition(":")
        env.append({"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}})
    if svc.tracing_env:
        # Where a span ran, through the downward API (the runtime's spans.K8S_ENV).
        for name, attribute in K8S_ENV.items():
            field = DOWNWARD_FIELDS[attribute]
            env.append({"name": name, "valueFrom": {"fieldRef": {"fieldPath": field}}})
    return env_from, env


# The pod's field behind each Kubernetes resource attribute of a span.
DOWNWARD_FIELDS = {
    "k8s.pod.name": "metadata.name",
    "k8s.namespace.name": "metadata.namespace",
    "k8s.node.name": "spec.nodeName",
}


def resources(svc: ServiceSpec) -> dict[str, Any]:
    w = svc.workload
    limits = {"memory": w.memory}
    if w.cpu_limit:
        limits["cpu"] = w.cpu_limit
    return {"requests": {"cpu": w.cpu, "memory": w.memory}, "limits": limits}


def volumes(svc: ServiceSpec) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(volumes, mounts): /tmp as a bounded emptyDir since the root filesystem is read-only."""
    vols: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {"sizeLimit": TMP_SIZE}}]
    mounts: list[dict[str, Any]] = [{"name": "tmp", "mountPath": "/tmp"}]
    if svc.workload.files:
        vols.append({"name": "config-files", "configMap": {"name": svc.files_map_name}})
        mounts.append(
            {"name": "config-files", "mountPath": svc.workload.config_dir, "readOnly": True}
        )
    return vols, mounts


def probes(svc: ServiceSpec) -> dict[str, Any]:
    """Startup gives a slow import time to finish; liveness asks only "is the process alive"
    (never dependencies); readiness asks "can it serve now" and fails fast during drain. All on
    the admin port when there is one: the port the Service exposes serves none of them."""
    port = svc.probe_port_name
    ready_timeout = max(1, math.ceil(svc.serve.ready_timeout) + 1)
    return {
        "startupProbe": {
            "httpGet": {"path": svc.serve.health_path, "port": port},
            "periodSeconds": 2,
            "failureThreshold": 30,
            "timeoutSeconds": 2,
        },
        "livenessProbe": {
            "httpGet": {"path": svc.serve.health_path, "port": port},
            "periodSeconds": 10,
            "failureThreshold": 3,
            "timeoutSeconds": 2,
        },
        "readinessProbe": {
            "httpGet": {"path": svc.serve.ready_path, "port": port},
            "periodSeconds": 2,
            "failureThreshold": 2,
            "successThreshold": 1,
            "timeoutSeconds": ready_timeout,
        },
    }


def container(svc: ServiceSpec, *, command: list[str] | None = None) -> dict[str, Any]:
    env_from, env = env_sources(svc)
    _, mounts = volumes(svc)
    out: dict[str, Any] = {
        "name": CONTAINER,
        "image": svc.image,
        "imagePullPolicy": "IfNotPresent",
    }
    if command:
        out["command"] = list(command)
    else:
        out["ports"] = [{"name": "http", "containerPort": svc.port, "protocol": "TCP"}]
        if svc.admin_port:
            out["ports"].append(
                {"name": "admin", "containerPort": svc.admin_port, "protocol": "TCP"}
            )
    out["envFrom"] = env_from
    if env:
        out["env"] = env
    out["resources"] = resources(svc)
    out["securityContext"] = container_security()
    if not command:
        out.update(probes(svc))
    out["volumeMounts"] = mounts
    return out


def template_annotations(svc: ServiceSpec) -> dict[str, str]:
    notes: dict[str, str] = {}
    if svc.version.seccomp_annotation:
        notes[SECCOMP_ANNOTATION] = "runtime/default"
    return notes


def pod_spec(svc: ServiceSpec, *, command: list[str] | None = None) -> dict[str, Any]:
    vols, _ = volumes(svc)
    return {
        "serviceAccountName": svc.name,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": pod_security(svc),
        "terminationGracePeriodSeconds": svc.grace,
        "containers": [container(svc, command=command)],
        "volumes": vols,
    }
