"""`aloft k8s deploy` and `aloft k8s diff`: render for the cluster's version, refuse what fails
validation (nothing applied), dry-run every object on the server, apply, run the release Job,
wait for each rollout, roll back a failed one, prune what is no longer rendered.

The caller hands down the resolved config, the image and the gate that checks the rendered
manifests (the CLI builds it from aloft.checks): this layer neither loads config nor imports the
checks that sit above it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aloft.config import ResolvedConfig
from aloft.exceptions import ConfigError, OperationFailed
from aloft.kube.apply import ObjectDiff, apply, diff_object, format_diffs, get_live
from aloft.kube.client import FIELD_MANAGER, Cluster, api_message, connect
from aloft.kube.manifest import Manifest, ident
from aloft.kube.render import Rendered, render
from aloft.kube.versions import KubeVersion

Progress = Callable[[str], None]
# Checks the manifests before anything is applied: None lets them through, else the one line
# (object, field, rule, fix) that refuses the deploy.
Gate = Callable[[Rendered], "str | None"]
# Applied first, in this order; the release Job runs between these and the rest.
_BEFORE_JOB = ("ServiceAccount", "ConfigMap", "ExternalSecret")
# Co-owns `spec.replicas` of a Deployment whose count an HPA takes over (see _handover).
HANDOVER_MANAGER = "aloft-handover-to-hpa"


@dataclasses.dataclass(frozen=True)
class DeployRequest:
    resolved: ResolvedConfig
    image: str  # REPO@sha256:..., checked by the caller (kube.image_input)
    gate: Gate
    kubeconfig: Path | None = None
    context: str | None = None
    # --kube-version or [tool.aloft.kubernetes] kube_version; None: the cluster's own.
    kube_version: KubeVersion | None = None
    timeout: float = 300.0
    prune: bool = True


@dataclasses.dataclass
class KubeDeployResult:
    ok: bool
    reason: str
    diffs: list[ObjectDiff]
    dry_run: bool = False
    rolled_back: bool = False
    pruned: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return any(d.action in ("create", "update", "prune") for d in self.diffs)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "reason": self.reason,
            "dry_run": self.dry_run,
            "changed": self.changed,
            "rolled_back": self.rolled_back,
            "pruned": self.pruned,
            "seconds": round(self.seconds, 2),
            "objects": [d.as_dict() for d in self.diffs],
        }

    def text(self) -> str:
        return format_diffs(self.diffs) + f"{self.reason}\n"


@dataclasses.dataclass
class Plan:
    cluster: Cluster
    rendered: Rendered
    apply: list[Manifest]
    skipped: list[ObjectDiff]
    project: str
    namespace: str
    # Deployment ident -> live replicas, for those whose count aloft set and an HPA now owns.
    handover: dict[str, int] = dataclasses.field(default_factory=dict)
    # Deployment ident -> min_replicas, for autoscaled Deployments this deploy creates.
    initial: dict[str, int] = dataclasses.field(default_factory=dict)


def prepare(request: DeployRequest) -> Plan:
    cluster = connect(request.kubeconfig, request.context)
    try:
        version = request.kube_version or cluster.version
        rendered = render(request.resolved, request.image, version)
        refusal = request.gate(rendered)
        if refusal is not None:
            raise ConfigError(f"{refusal} (nothing was applied)")
        namespace = rendered.services[0].namespace
        _require_namespace(cluster, namespace)
        to_apply, skipped = [], []
        for obj in rendered.objects:
            if cluster.resource_for(obj) is None:
                note = f"the cluster lacks the {obj['kind']} CRD ({obj['apiVersion']}); not applied"
                skipped.append(ObjectDiff(ident(obj), "skip", note=note))
                if obj["kind"] == "ExternalSecret":
                    _require_synced_secret(cluster, obj)
            else:
                to_apply.append(obj)
        handover: dict[str, int] = {}
        initial: dict[str, int] = {}
        scaled = {s.name: s.workload.autoscaling.min_replicas for s in rendered.services}
        for obj in to_apply:
            if obj["kind"] != "Deployment" or "replicas" in obj["spec"]:
                continue
            live = get_live(cluster, obj)
            if live is None:
                initial[ident(obj)] = scaled.get(obj["metadata"]["name"], 1)  # consumers: 1
            elif (count := _replicas_to_hand_over(live)) is not None:
                handover[ident(obj)] = count
        project = rendered.services[0].project
        return Plan(cluster, rendered, to_apply, skipped, project, namespace, handover, initial)
    except BaseException:
        cluster.close()
        raise


def _require_synced_secret(cluster: Cluster, obj: Manifest) -> None:
    """Without the operator the pods can only start if the Secret it would write exists
    already; refuse before applying anything rather than fail the rollout."""
    from kubernetes.client.exceptions import ApiException

    name, namespace = obj["spec"]["target"]["name"], obj["metadata"]["namespace"]
    try:
        cluster.api_core.read_namespaced_secret(name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            raise ConfigError(
                f"{ident(obj)}: the cluster lacks the ExternalSecret CRD ({obj['apiVersion']})"
                f" and Secret {namespace}/{name}, which the pods read, does not exist; install"
                " the External Secrets Operator or create the Secret (nothing was applied)"
            ) from None
        raise OperationFailed(f"Secret {namespace}/{name}: {api_message(exc)}") from None


def _require_namespace(cluster: Cluster, namespace: str) -> None:
    from kubernetes.client.exceptions import ApiException

    try:
        cluster.api_core.read_namespace(namespace)
    except ApiException as exc:
        if exc.status == 404:
            raise ConfigError(
                f'[tool.aloft.kubernetes] namespace = "{namespace}": no such namespace in the'
                f" cluster; create it (kubectl create namespace {namespace}) or change it"
            ) from None
        raise OperationFailed(f"namespace {namespace}: {api_message(exc)}") from None


def _replicas_to_hand_over(live: dict[str, Any]) -> int | None:
    """The live replica count of an autoscaled Deployment when aloft owns it (applied it while
    autoscaling was off), else None.

    Server-side apply removes a field its only owner stops applying, so the count would fall to
    the default of 1 (pods killed) until the HPA scales back up. The upstream recipe for handing
    a field to an HPA: another manager applies the live value first, so the field keeps an owner.
    A Deployment created without `replicas` starts at 1 until the HPA's next sync; the same
    manager sets min_replicas right after creation so the first rollout already has them.
    """
    for entry in live["metadata"].get("managedFields") or []:
        fields = (entry.get("fieldsV1") or {}).get("f:spec") or {}
        if entry.get("manager") == FIELD_MANAGER and "f:replicas" in fields:
            count: int = live["spec"]["replicas"]
            return count
    return None


def _handover(cluster: Cluster, obj: Manifest, replicas: int) -> None:
    meta = obj["metadata"]
    body = {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
        "spec": {"replicas": replicas},
    }
    apply(cluster, body, dry_run=False, manager=HANDOVER_MANAGER)


def _as_applied(plan: Plan, obj: Manifest) -> Manifest:
    """What the server ends up with for `obj`: with a handed-over count, the live count stays."""
    count = plan.handover.get(ident(obj))
    if count is None:
        return obj
    return {**obj, "spec": {**obj["spec"], "replicas": count}}


def _diffs(plan: Plan, prune: bool) -> tuple[list[ObjectDiff], list[dict[str, Any]]]:
    from aloft.kube.prune import candidates

    # Every object is dry-run on the server before any is written: admission and validation
    # errors surface here, so a refused object never leaves a half-applied set.
    diffs = [diff_object(plan.cluster, _as_applied(plan, obj)) for obj in plan.apply]
    diffs += plan.skipped
    doomed = candidates(plan.cluster, plan.project, plan.namespace, plan.apply) if prune else []
    diffs += [ObjectDiff(ident(obj), "prune") for obj in doomed]
    return diffs, doomed


def plan(request: DeployRequest) -> KubeDeployResult:
    started = time.monotonic()
    prepared = prepare(request)
    try:
        diffs, _ = _diffs(prepared, request.prune)
    finally:
        prepared.cluster.close()
    result = KubeDeployResult(True, "", diffs, dry_run=True, seconds=time.monotonic() - started)
    result.reason = "changes pending" if result.changed else "no changes"
    return result


def deploy(request: DeployRequest, *, dry_run: bool, progress: Progress | None) -> KubeDeployResult:
    started = time.monotonic()
    prepared = prepare(request)
    try:
        return _deploy(prepared, request, dry_run, progress, started)
    finally:
        prepared.cluster.close()


def _deploy(
    plan: Plan, request: DeployRequest, dry_run: bool, progress: Progress | None, started: float
) -> KubeDeployResult:
    from aloft.kube.prune import delete
    from aloft.kube.rollout import rollback, wait

    cluster = plan.cluster
    diffs, doomed = _diffs(plan, request.prune)
    result = KubeDeployResult(True, "", diffs, dry_run=dry_run)
    if dry_run:
        result.reason = "dry run: changes pending" if result.changed else "dry run: no changes"
        result.seconds = time.monotonic() - started
        return result
    if not result.changed:
        result.reason = "no changes"
        result.seconds = time.monotonic() - started
        return result
    previous = {
        obj["metadata"]["name"]: _live_template(cluster, obj)
        for obj in plan.apply
        if obj["kind"] == "Deployment"
    }
    first = [o for o in plan.apply if o["kind"] in _BEFORE_JOB]
    jobs = [o for o in plan.apply if o["kind"] == "Job"]
    rest = [o for o in plan.apply if o["kind"] not in _BEFORE_JOB and o["kind"] != "Job"]
    for obj in first:
        apply(cluster, obj, dry_run=False)
    for job in jobs:
        apply(cluster, job, dry_run=False)
        failure = _wait_job(cluster, job, request.timeout, progress)
        if failure:
            result.ok, result.reason = False, f"{ident(job)} failed: {failure}; nothing rolled out"
            result.seconds = time.monotonic() - started
            return result
    for obj in rest:
        if ident(obj) in plan.handover:
            _handover(cluster, obj, plan.handover[ident(obj)])
            if progress:
                progress(f"{ident(obj)}: replicas handed over to the HorizontalPodAutoscaler")
        apply(cluster, obj, dry_run=False)
        if ident(obj) in plan.initial:
            _handover(cluster, obj, plan.initial[ident(obj)])
    for obj in (o for o in rest if o["kind"] == "Deployment"):
        name, namespace = obj["metadata"]["name"], obj["metadata"]["namespace"]
        outcome = wait(cluster, namespace, name, request.timeout, progress)
        if outcome.ok:
            continue
        result.ok = False
        template = previous.get(name)
        if template is None:
            result.reason = f"{ident(obj)} rollout failed: {outcome.reason}; no earlier revision"
            break
        if progress:
            progress(f"{name}: rollout failed ({outcome.reason}); rolling back")
        back = rollback(cluster, obj, template, request.timeout, progress)
        result.rolled_back = back.ok
        state = "rolled back to the previous revision" if back.ok else "rollback also failed"
        result.reason = f"{ident(obj)} rollout failed: {outcome.reason}; {state}"
        break
    if result.ok:
        for obj in doomed:
            delete(cluster, obj)
            result.pruned.append(ident(obj))
        result.reason = f"rolled out in {time.monotonic() - started:.1f}s"
    result.seconds = time.monotonic() - started
    return result


def _live_template(cluster: Cluster, obj: Manifest) -> dict[str, Any] | None:
    from kubernetes.client.exceptions import ApiException

    try:
        live = cluster.api_apps.read_namespaced_deployment(
            obj["metadata"]["name"], obj["metadata"]["namespace"]
        )
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    template: dict[str, Any] = cluster.api.sanitize_for_serialization(live)["spec"]["template"]
    return template


def _wait_job(cluster: Cluster, job: Manifest, timeout: float, progress: Progress | None) -> str:
    """ "" when the Job succeeded, else why it did not."""
    name, namespace = job["metadata"]["name"], job["metadata"]["namespace"]
    deadline = time.monotonic() + timeout
    if progress:
        progress(f"release job {name}: running")
    while time.monotonic() < deadline:
        status = cluster.api_batch.read_namespaced_job(name, namespace).status
        if status.succeeded:
            if progress:
                progress(f"release job {name}: succeeded")
            return ""
        for condition in status.conditions or []:
            if condition.type == "Failed" and condition.status == "True":
                return f"{condition.reason}: {condition.message}" + _job_pod_outcome(
                    cluster, name, namespace
                )
        time.sleep(0.5)
    return f"did not finish within {timeout:g}s"


def _job_pod_outcome(cluster: Cluster, job: str, namespace: str) -> str:
    """The last failed pod's exit code and final log line: what the command itself said."""
    from kubernetes.client.exceptions import ApiException

    pods = cluster.api_core.list_namespaced_pod(namespace, label_selector=f"job-name={job}").items
    for pod in sorted(pods, key=lambda p: p.metadata.creation_timestamp, reverse=True):
        for status in pod.status.container_statuses or []:
            ended = status.state.terminated if status.state else None
            if ended is None or ended.exit_code == 0:
                continue
            text = f"; pod {pod.metadata.name} exited {ended.exit_code}"
            try:
                log = cluster.api_core.read_namespaced_pod_log(
                    pod.metadata.name, namespace, container=status.name, tail_lines=1
                )
            except ApiException:
                return text
            last = str(log or "").strip().splitlines()
            return text + (f": {last[-1][:200]}" if last else "")
    return ""
