"""Wait for a Deployment's rollout the way `kubectl rollout status` judges it, say why it fails
(the new pods' waiting reasons and warning events), and roll back to the previous revision."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from aloft.kube.client import FIELD_MANAGER, Cluster

# Waiting reasons that will not fix themselves within a rollout: fail at once, do not wait out
# the timeout.
FATAL_WAITING = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "CrashLoopBackOff",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)
REVISION = "deployment.kubernetes.io/revision"
# Pod warning events that explain a failed rollout (not, e.g., MissingClusterDNS).
_TELLING_EVENTS = frozenset(
    {"Failed", "BackOff", "Unhealthy", "FailedMount", "FailedCreatePodSandBox", "FailedScheduling"}
)
POLL = 0.5

Progress = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class RolloutResult:
    ok: bool
    reason: str
    seconds: float


def _deployment(cluster: Cluster, namespace: str, name: str) -> dict[str, Any]:
    result: dict[str, Any] = cluster.api_apps.read_namespaced_deployment(name, namespace).to_dict()
    return result


def replica_sets(cluster: Cluster, deployment: dict[str, Any]) -> list[dict[str, Any]]:
    """The Deployment's ReplicaSets (owned by it), newest revision first."""
    meta = deployment["metadata"]
    selector = ",".join(
        f"{k}={v}" for k, v in deployment["spec"]["selector"]["match_labels"].items()
    )
    items = cluster.api_apps.list_namespaced_replica_set(
        meta["namespace"], label_selector=selector
    ).items
    owned = [
        rs.to_dict()
        for rs in items
        if any(ref.uid == meta["uid"] for ref in (rs.metadata.owner_references or []))
    ]
    return sorted(
        owned, key=lambda rs: -int((rs["metadata"]["annotations"] or {}).get(REVISION, 0))
    )


def wait(
    cluster: Cluster, namespace: str, name: str, timeout: float, progress: Progress | None
) -> RolloutResult:
    started = time.monotonic()
    last = ""
    while True:
        dep = _deployment(cluster, namespace, name)
        spec, status = dep["spec"], dep["status"] or {}
        desired = spec.get("replicas") or 0
        updated = status.get("updated_replicas") or 0
        available = status.get("available_replicas") or 0
        total = status.get("replicas") or 0
        observed = (status.get("observed_generation") or 0) >= dep["metadata"]["generation"]
        line = f"{name}: {updated}/{desired} updated, {available} available, {total} total"
        if progress and observed and line != last:
            progress(line)
            last = line
        if observed and updated == desired and available == desired and total == desired:
            return RolloutResult(True, "rolled out", time.monotonic() - started)
        for condition in status.get("conditions") or []:
            if condition["type"] == "Progressing" and condition.get("reason") == (
                "ProgressDeadlineExceeded"
            ):
                return RolloutResult(
                    False, _diagnose(cluster, dep) or "progress deadline exceeded", _since(started)
                )
        if observed:
            fatal = _fatal(cluster, dep)
            if fatal:
                return RolloutResult(False, fatal, _since(started))
        if time.monotonic() - started > timeout:
            reason = _diagnose(cluster, dep) or "new pods did not become ready"
            return RolloutResult(False, f"timed out after {timeout:g}s: {reason}", _since(started))
        time.sleep(POLL)


def _since(started: float) -> float:
    return time.monotonic() - started


def _new_pods(cluster: Cluster, dep: dict[str, Any]) -> list[Any]:
    sets = replica_sets(cluster, dep)
    if not sets:
        return []
    newest = sets[0]
    labels = newest["spec"]["selector"]["match_labels"]
    selector = ",".join(f"{k}={v}" for k, v in labels.items())
    pods: list[Any] = cluster.api_core.list_namespaced_pod(
        dep["metadata"]["namespace"], label_selector=selector
    ).items
    return pods


def _fatal(cluster: Cluster, dep: dict[str, Any]) -> str:
    for pod in _new_pods(cluster, dep):
        for status in pod.status.container_statuses or []:
            waiting = status.state.waiting if status.state else None
            if waiting and waiting.reason in FATAL_WAITING:
                return _describe_pod(cluster, pod, waiting.reason, waiting.message)
    sets = replica_sets(cluster, dep)
    if sets:
        events = _events(
            cluster, dep["metadata"]["namespace"], "ReplicaSet", sets[0]["metadata"]["name"]
        )
        for event in events:
            if event.reason == "FailedCreate":
                return f"pods cannot be created: {event.message}"
    return ""


def _diagnose(cluster: Cluster, dep: dict[str, Any]) -> str:
    fatal = _fatal(cluster, dep)
    if fatal:
        return fatal
    for pod in _new_pods(cluster, dep):
        ready = any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))
        if not ready:
            return _describe_pod(cluster, pod, pod.status.phase or "not ready", None)
    return ""


def _describe_pod(cluster: Cluster, pod: Any, reason: str, message: str | None) -> str:
    text = f"pod {pod.metadata.name}: {reason}"
    if message:
        text += f" ({message.splitlines()[0][:400]})"
    for status in pod.status.container_statuses or []:
        terminated = status.last_state.terminated if status.last_state else None
        if terminated:
            text += f"; last exit code {terminated.exit_code} ({terminated.reason})"
            break
    warnings = [
        e
        for e in _events(cluster, pod.metadata.namespace, "Pod", pod.metadata.name)
        if e.type == "Warning" and e.reason in _TELLING_EVENTS
    ]
    if warnings:
        latest = warnings[-1]
        text += f"; event {latest.reason}: {(latest.message or '').splitlines()[0][:200]}"
    return text


def _events(cluster: Cluster, namespace: str, kind: str, name: str) -> list[Any]:
    items = cluster.api_core.list_namespaced_event(
        namespace, field_selector=f"involvedObject.kind={kind},involvedObject.name={name}"
    ).items
    return sorted(items, key=lambda e: (e.last_timestamp or e.event_time or 0, e.count or 0))


def previous_template(cluster: Cluster, namespace: str, name: str) -> dict[str, Any] | None:
    """The pod template of the revision before the current one, as the API takes it, or None."""
    dep = cluster.api_apps.read_namespaced_deployment(name, namespace)
    sets = replica_sets(cluster, dep.to_dict())
    if len(sets) < 2:
        return None
    raw = cluster.api.sanitize_for_serialization(
        cluster.api_apps.read_namespaced_replica_set(sets[1]["metadata"]["name"], namespace)
    )
    template: dict[str, Any] = raw["spec"]["template"]
    template["metadata"].get("labels", {}).pop("pod-template-hash", None)
    return template


def rollback(
    cluster: Cluster,
    deployment: dict[str, Any],
    template: dict[str, Any],
    timeout: float,
    progress: Progress | None,
) -> RolloutResult:
    """Apply the Deployment again with the previous revision's template (what
    `kubectl rollout undo` does), under aloft's field manager, and wait for it."""
    body = dict(deployment)
    body["spec"] = {**deployment["spec"], "template": template}
    meta = body["metadata"]
    cluster.dynamic.server_side_apply(
        cluster.resource("apps/v1", "Deployment"),
        body=body,
        namespace=meta["namespace"],
        field_manager=FIELD_MANAGER,
        force_conflicts=True,
    )
    return wait(cluster, meta["namespace"], meta["name"], timeout, progress)
