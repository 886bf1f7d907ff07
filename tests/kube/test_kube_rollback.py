"""`aloft k8s rollback` against the real 1.20 test cluster: back to the previous revision aloft
deployed, forward again with --to, and a one-line error when there is nothing to go back to."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubekit import aloft, cluster_project, json_of, k8s_deploy, kubectl

pytestmark = pytest.mark.timeout(600)

_MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)


def second_image(reference: str) -> str:
    """The same image with one more label in its config, pushed beside it through the registry
    API: a different digest that runs the same app (its layers are shared)."""
    repository, _, digest = reference.partition("@")
    host, _, name = repository.partition("/")
    base = f"http://{host}/v2/{name}"
    with httpx.Client(timeout=30) as http:
        got = http.get(f"{base}/manifests/{digest}", headers={"Accept": _MANIFEST_TYPES})
        got.raise_for_status()
        media_type = got.headers["content-type"]
        manifest = got.json()
        config = http.get(f"{base}/blobs/{manifest['config']['digest']}").json()
        config.setdefault("config", {}).setdefault("Labels", {})["test.aloft/variant"] = "2"
        blob = json.dumps(config).encode()
        blob_digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        upload = http.post(f"{base}/blobs/uploads/")
        upload.raise_for_status()
        location = upload.headers["location"]
        if location.startswith("/"):
            location = f"http://{host}{location}"
        sep = "&" if "?" in location else "?"
        http.put(
            f"{location}{sep}digest={blob_digest}",
            content=blob,
            headers={"Content-Type": "application/octet-stream"},
        ).raise_for_status()
        manifest["config"] = {**manifest["config"], "digest": blob_digest, "size": len(blob)}
        body = json.dumps(manifest).encode()
        new_digest = "sha256:" + hashlib.sha256(body).hexdigest()
        http.put(
            f"{base}/manifests/{new_digest}", content=body, headers={"Content-Type": media_type}
        ).raise_for_status()
    return f"{repository}@{new_digest}"


def _ready_ips(facts: dict[str, Any], namespace: str) -> list[str]:
    out = kubectl(facts, "-n", namespace, "get", "endpoints", "shop", "-o", "json")
    subsets = json.loads(out.stdout).get("subsets") or []
    return [a["ip"] for s in subsets for a in s.get("addresses") or []]


def _running_images(facts: dict[str, Any], namespace: str) -> set[str]:
    out = kubectl(
        facts, "-n", namespace, "get", "pods", "-l", "app.kubernetes.io/component=server",
        "-o", "json",
    )  # fmt: skip
    pods = [
        p for p in json.loads(out.stdout)["items"] if not p["metadata"].get("deletionTimestamp")
    ]
    assert pods and all(
        all(c["ready"] for c in p["status"].get("containerStatuses") or [{"ready": False}])
        for p in pods
    ), "every pod of the service is ready"
    return {p["spec"]["containers"][0]["image"] for p in pods}


def _rollback(facts: dict[str, Any], project: Path, *args: str) -> Any:
    return aloft(
        "k8s", "rollback", "--project", str(project), "--kubeconfig", facts["kubeconfig"],
        "--timeout", "120", *args,
    )  # fmt: skip


def test_rollback_returns_to_the_previous_revision_and_to_a_named_one(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    v1 = json.loads(shop_image.read_text())["reference"]
    v2 = second_image(v1)
    assert v2 != v1
    project = cluster_project(tmp_path, namespace, bridge_redis)
    for image in (v1, v2):
        deployed = k8s_deploy(kube_cluster, project, "--image", image)
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert _running_images(kube_cluster, namespace) == {v2}

    dry = _rollback(kube_cluster, project, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert dry.stdout == f"dry run: {namespace}/shop: revision 2 -> 1, image {v2} -> {v1}\n"
    assert _running_images(kube_cluster, namespace) == {v2}

    back = _rollback(kube_cluster, project, "-o", "json")
    assert back.returncode == 0, back.stdout + back.stderr
    assert json_of(back)["deployments"] == [
        {
            "deployment": f"{namespace}/shop",
            "from_revision": 2,
            "to_revision": 1,
            "new_revision": 3,
            "from_image": v2,
            "to_image": v1,
            "changed": True,
            "ok": True,
            "reason": "",
        }
    ]
    assert _running_images(kube_cluster, namespace) == {v1}
    # The pods still read the ConfigMap of their revision, and serve.
    for ip in _ready_ips(kube_cluster, namespace):
        assert httpx.get(f"http://{ip}:8000/", timeout=5).status_code == 200

    forward = _rollback(kube_cluster, project, "--to", "2")
    assert forward.returncode == 0, forward.stdout + forward.stderr
    assert forward.stdout == (
        f"{namespace}/shop: revision 3 -> 2 (now revision 4), image {v1} -> {v2}\n"
    )
    assert _running_images(kube_cluster, namespace) == {v2}

    # Revision 1 lives on as 3: --to 1 still finds it, as its history annotation records.
    again = _rollback(kube_cluster, project, "--to", "1", "-o", "json")
    assert again.returncode == 0, again.stdout + again.stderr
    assert json_of(again)["deployments"][0]["to_image"] == v1
    assert _running_images(kube_cluster, namespace) == {v1}

    # The next deploy takes over from the rollback as from any revision.
    redeployed = k8s_deploy(kube_cluster, project, "--image", v2, "-o", "json")
    assert redeployed.returncode == 0, redeployed.stdout + redeployed.stderr
    assert _running_images(kube_cluster, namespace) == {v2}


def test_nothing_to_roll_back_to_is_one_line(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    project = cluster_project(tmp_path, namespace, bridge_redis)
    missing = _rollback(kube_cluster, project)
    assert missing.returncode == 1
    assert missing.stderr == (
        f"aloft: error: Deployment {namespace}/shop: not in the cluster; deploy it first"
        " (aloft k8s deploy)\n"
    )
    assert k8s_deploy(kube_cluster, project, "--image-record", str(shop_image)).returncode == 0
    only = _rollback(kube_cluster, project)
    assert only.returncode == 1
    assert only.stderr == (
        f"aloft: error: Deployment {namespace}/shop: at revision 1 with no earlier revision"
        " kept; nothing to roll back to\n"
    )
    stranger = _rollback(kube_cluster, project, "--service", "cart")
    assert stranger.returncode == 2
    assert "--service cart: not a service of" in stranger.stderr
    unknown = _rollback(kube_cluster, project, "--to", "9")
    assert unknown.returncode == 2
    assert unknown.stderr == (
        f"aloft: error: --to 9: Deployment {namespace}/shop keeps revisions 1\n"
    )
