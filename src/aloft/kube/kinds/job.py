"""The release Job (e.g. Django migrations): same image and config as the Deployment, run once per
release; `aloft k8s deploy` waits for it to succeed before rolling out. Named by a hash of image
and command so a new release is a new Job (a Job's template is immutable)."""

from __future__ import annotations

from aloft.kube.kinds.pod import pod_spec, template_annotations
from aloft.kube.manifest import Manifest
from aloft.kube.spec import ServiceSpec, content_hash

RELEASE_ANNOTATION = "aloft/release-job"


def job_name(svc: ServiceSpec) -> str:
    digest = content_hash({"image": svc.image, "command": " ".join(svc.workload.release)})
    return f"{svc.name}-release-{digest}"


def render(svc: ServiceSpec) -> list[Manifest]:
    if not svc.workload.release:
        return []
    pod = pod_spec(svc, command=svc.workload.release)
    pod["restartPolicy"] = "Never"
    meta = svc.meta(job_name(svc))
    meta["annotations"] = {RELEASE_ANNOTATION: "true"}
    # Not "server": the Service, PDB and spread constraints must not count release pods.
    labels = {**svc.labels, "app.kubernetes.io/component": "release"}
    meta["labels"] = labels
    template_meta: dict[str, object] = {"labels": labels}
    if template_annotations(svc):
        template_meta["annotations"] = template_annotations(svc)
    return [
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": meta,
            "spec": {
                "backoffLimit": 1,
                "activeDeadlineSeconds": 900,
                "template": {"metadata": template_meta, "spec": pod},
            },
        }
    ]
