"""`aloft k8s rollback`: return each Deployment to the previous revision aloft deployed, or to a
named one.

Kubernetes records the revisions itself: every template a Deployment ran has a ReplicaSet
annotated `deployment.kubernetes.io/revision` (the rendered Deployment keeps
`revisionHistoryLimit` of them), and the hashed ConfigMap each one reads is kept while it exists
(prune.py). So a rollback is what `kubectl rollout undo` does: the target ReplicaSet's pod
template (less its `pod-template-hash` label) and annotations are patched back into the
Deployment, the controller rolls it out as a new revision, and we wait for it (rollout.py).
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

from aloft.exceptions import ConfigError, OperationFailed
from aloft.kube.client import Cluster, api_message
from aloft.kube.kinds.pod import CONTAINER
from aloft.kube.logs import PodSet
from aloft.kube.rollout import REVISION, Progress, wait

REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
# Annotations of the Deployment that are the controller's, never copied from a ReplicaSet
# (kubectl's annotationsToSkip).
_SKIPPED = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION,
        REVISION_HISTORY,
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
        "deprecated.deployment.rollback.to",
    }
)
ROLLBACK_MANAGER = "aloft-rollback"


@dataclasses.dataclass
class RevisionChange:
    deployment: str  # namespace/name
    from_revision: int
    to_revision: int  # the number the user chose or saw before the rollback
    from_image: str
    to_image: str
    new_revision: int = 0  # the number the controller gives the restored template
    ok: bool = True
    reason: str = ""

    @property
    def changed(self) -> bool:
        return self.from_revision != self.to_revision

    def text(self) -> str:
        if not self.changed:
            return f"{self.deployment}: already at revision {self.to_revision}, unchanged"
        image = (
            f"image {self.from_image} -> {self.to_image}"
            if self.from_image != self.to_image
            else f"image {self.to_image} (same; configuration differs)"
        )
        now = f" (now revision {self.new_revision})" if self.new_revision else ""
        line = (
            f"{self.deployment}: revision {self.from_revision} -> {self.to_revision}{now}, {image}"
        )
        return line + (f"; {self.reason}" if self.reason else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "deployment": self.deployment,
            "from_revision": self.from_revision,
            "to_revision": self.to_revision,
            "new_revision": self.new_revision,
            "from_image": self.from_image,
            "to_image": self.to_image,
            "changed": self.changed,
            "ok": self.ok,
            "reason": self.reason,
        }


def _revision(obj: dict[str, Any]) -> int:
    return int((obj["metadata"].get("annotations") or {}).get(REVISION, 0))


def _image(template: dict[str, Any]) -> str:
    containers = template["spec"]["containers"]
    chosen = next((c for c in containers if c["name"] == CONTAINER), containers[0])
    return str(chosen["image"])


@dataclasses.dataclass
class _Plan:
    live: dict[str, Any]  # the Deployment, as the API spells it
    target: dict[str, Any] | None  # the ReplicaSet to return to; None: already there
    change: RevisionChange


def _plan(cluster: Cluster, namespace: str, name: str, to: int | None) -> _Plan:
    from kubernetes.client.exceptions import ApiException

    ident = f"{namespace}/{name}"
    try:
        model = cluster.api_apps.read_namespaced_deployment(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            raise OperationFailed(
                f"Deployment {ident}: not in the cluster; deploy it first (aloft k8s deploy)"
            ) from None
        raise OperationFailed(f"Deployment {ident}: {api_message(exc)}") from None
    live: dict[str, Any] = cluster.api.sanitize_for_serialization(model)
    if live["spec"].get("paused"):
        raise OperationFailed(
            f"Deployment {ident}: paused; resume it first (kubectl rollout resume deploy/{name})"
        )
    current = _revision(live)
    sets = [cluster.api.sanitize_for_serialization(rs) for rs in _owned(cluster, model)]
    by_revision = {_revision(rs): rs for rs in sets}
    if to is None:
        earlier = sorted(r for r in by_revision if r < current)
        if not earlier:
            raise OperationFailed(
                f"Deployment {ident}: at revision {current} with no earlier revision kept;"
                " nothing to roll back to"
            )
        to = earlier[-1]
    target = by_revision.get(to)
    if target is None:  # a revision rolled back to before lives on under a new number
        target = next(
            (
                rs
                for rs in sets
                if str(to)
                in (rs["metadata"].get("annotations") or {}).get(REVISION_HISTORY, "").split(",")
            ),
            None,
        )
        if target is None:
            raise ConfigError(
                f"--to {to}: Deployment {ident} keeps revisions "
                + ", ".join(map(str, sorted(by_revision)))
            )
    from_image = _image(live["spec"]["template"])
    change = RevisionChange(ident, current, to, from_image, _image(target["spec"]["template"]))
    if _revision(target) == current:
        change.to_revision = current
        return _Plan(live, None, change)
    return _Plan(live, target, change)


def _owned(cluster: Cluster, model: Any) -> list[Any]:
    """The Deployment's ReplicaSets, as API models (as rollout.replica_sets picks them)."""
    items = cluster.api_apps.list_namespaced_replica_set(
        model.metadata.namespace,
        label_selector=",".join(f"{k}={v}" for k, v in model.spec.selector.match_labels.items()),
    ).items
    return [
        rs
        for rs in items
        if any(ref.uid == model.metadata.uid for ref in (rs.metadata.owner_references or []))
    ]


def _patch(live: dict[str, Any], target: dict[str, Any]) -> list[dict[str, Any]]:
    """kubectl's rollback patch: the revision's template and annotations, guarded by the
    resourceVersion read, so a deploy that lands in between is not overwritten."""
    template = json.loads(json.dumps(target["spec"]["template"]))
    template["metadata"].get("labels", {}).pop("pod-template-hash", None)
    annotations = {
        k: v for k, v in (live["metadata"].get("annotations") or {}).items() if k in _SKIPPED
    }
    annotations.update(
        {
            k: v
            for k, v in (target["metadata"].get("annotations") or {}).items()
            if k not in _SKIPPED
        }
    )
    return [
        {
            "op": "test",
            "path": "/metadata/resourceVersion",
            "value": live["metadata"]["resourceVersion"],
        },
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "add", "path": "/metadata/annotations", "value": annotations},
    ]


def rollback(
    cluster: Cluster,
    sets: list[PodSet],
    to: int | None,
    *,
    timeout: float = 300.0,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> list[RevisionChange]:
    """Plan every Deployment first (an error leaves all of them as they were), then patch each
    and wait for its rollout. A failed rollout is reported, not undone again."""
    from kubernetes.client.exceptions import ApiException

    plans = [_plan(cluster, s.namespace, s.service, to) for s in sets]
    if dry_run:
        return [p.change for p in plans]
    for plan in plans:
        if plan.target is None:
            continue
        meta = plan.live["metadata"]
        try:
            cluster.api_apps.patch_namespaced_deployment(
                meta["name"],
                meta["namespace"],
                _patch(plan.live, plan.target),
                field_manager=ROLLBACK_MANAGER,
                _content_type="application/json-patch+json",
            )
        except ApiException as exc:
            raise OperationFailed(
                f"Deployment {plan.change.deployment}: rollback refused: {api_message(exc)}"
                + ("; it changed meanwhile, run again" if exc.status in (409, 422) else "")
            ) from None
        started = time.monotonic()
        outcome = wait(cluster, meta["namespace"], meta["name"], timeout, progress)
        plan.change.ok, plan.change.reason = outcome.ok, "" if outcome.ok else outcome.reason
        after = cluster.api_apps.read_namespaced_deployment(meta["name"], meta["namespace"])
        plan.change.new_revision = int((after.metadata.annotations or {}).get(REVISION, 0))
        if progress and outcome.ok:
            progress(f"{meta['name']}: rolled out in {time.monotonic() - started:.1f}s")
    return [p.change for p in plans]
