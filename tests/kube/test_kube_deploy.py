"""`aloft k8s deploy|diff` against a real Kubernetes 1.20 cluster with a real kubelet."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubekit import aloft, cluster_project, json_of, k8s_deploy, kubectl

pytestmark = pytest.mark.timeout(600)


def _pods(facts: dict[str, Any], namespace: str) -> list[dict[str, Any]]:
    out = kubectl(
        facts,
        "-n",
        namespace,
        "get",
        "pods",
        "-l",
        "app.kubernetes.io/component=server",
        "-o",
        "json",
    )
    return [
        p for p in json.loads(out.stdout)["items"] if not p["metadata"].get("deletionTimestamp")
    ]


def _ready_ips(facts: dict[str, Any], namespace: str) -> list[str]:
    out = kubectl(facts, "-n", namespace, "get", "endpoints", "shop", "-o", "json", check=False)
    if out.returncode != 0:
        return []
    subsets = json.loads(out.stdout).get("subsets") or []
    return [a["ip"] for s in subsets for a in s.get("addresses") or []]


def test_deploy_runs_the_image_ready_by_its_probe_serving_and_logging(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    project = cluster_project(tmp_path, namespace, bridge_redis)
    result = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image), "-o", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json_of(result)
    assert report["ok"] and {o["action"] for o in report["objects"]} == {"create"}
    pods = _pods(kube_cluster, namespace)
    assert len(pods) == 2
    reference = json.loads(shop_image.read_text())["reference"]
    for pod in pods:
        assert pod["spec"]["containers"][0]["image"] == reference
        assert all(c["ready"] for c in pod["status"]["containerStatuses"])
        reply = httpx.get(f"http://{pod['status']['podIP']}:8000/", timeout=5)
        assert reply.status_code == 200
    logs = kubectl(kube_cluster, "-n", namespace, "logs", pods[0]["metadata"]["name"]).stdout
    first = json.loads(logs.splitlines()[0])
    assert first["service"] == "shop" and first["message"] == "starting"

    again = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image), "-o", "json")
    assert again.returncode == 0
    assert json_of(again)["changed"] is False
    assert {o["action"] for o in json_of(again)["objects"]} == {"unchanged"}


def test_probes_pass_on_the_admin_port_and_the_service_does_not_expose_it(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    """Issue 13 item 9 on a real kubelet: the pods turn Ready through probes on the admin port,
    the app port answers the app but none of aloft's paths, and the Service carries only it."""
    project = cluster_project(tmp_path, namespace, bridge_redis)
    result = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image), "-o", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    pod = _pods(kube_cluster, namespace)[0]
    container = pod["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["port"] == "admin"
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {
        "http": 8000,
        "admin": 8081,
    }
    assert all(c["ready"] for c in pod["status"]["containerStatuses"])
    ip = pod["status"]["podIP"]
    assert httpx.get(f"http://{ip}:8000/", timeout=5).status_code == 200
    for path in ("/healthz", "/readyz", "/metrics"):
        assert httpx.get(f"http://{ip}:8000{path}", timeout=5).status_code == 404, path
        assert httpx.get(f"http://{ip}:8081{path}", timeout=5).status_code == 200, path
    assert "http_requests_total" in httpx.get(f"http://{ip}:8081/metrics", timeout=5).text
    assert httpx.get(f"http://{ip}:8081/", timeout=5).status_code == 404
    service = json.loads(
        kubectl(kube_cluster, "-n", namespace, "get", "service", "shop", "-o", "json").stdout
    )
    assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(80, "http")]
    endpoints = json.loads(
        kubectl(kube_cluster, "-n", namespace, "get", "endpoints", "shop", "-o", "json").stdout
    )
    ports = {p["port"] for s in endpoints.get("subsets") or [] for p in s.get("ports") or []}
    assert ports == {8000}


def test_diff_and_dry_run_show_exactly_the_changed_fields_and_apply_nothing(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    project = cluster_project(tmp_path, namespace, bridge_redis)
    assert k8s_deploy(kube_cluster, project, "--image-record", str(shop_image)).returncode == 0
    changed = (project / "pyproject.toml").read_text().replace('cpu = "50m"', 'cpu = "60m"')
    (project / "pyproject.toml").write_text(changed)
    diff = aloft(
        "k8s",
        "diff",
        "--project",
        str(project),
        "--kubeconfig",
        kube_cluster["kubeconfig"],
        "--image-record",
        str(shop_image),
        "-o",
        "json",
    )
    assert diff.returncode == 1, diff.stderr
    objects = {o["object"]: o for o in json_of(diff)["objects"]}
    dep = objects[f"Deployment/{namespace}/shop"]
    assert dep["action"] == "update"
    assert [c["path"] for c in dep["changes"]] == [
        "spec.template.spec.containers.0.resources.requests.cpu"
    ]
    assert dep["changes"][0]["old"] == "50m" and dep["changes"][0]["new"] == "60m"
    others = {k: o["action"] for k, o in objects.items() if k != f"Deployment/{namespace}/shop"}
    assert set(others.values()) == {"unchanged"}
    dry = k8s_deploy(
        kube_cluster, project, "--image-record", str(shop_image), "--dry-run", "-o", "json"
    )
    assert dry.returncode == 0 and json_of(dry)["dry_run"] is True
    live = kubectl(
        kube_cluster,
        "-n",
        namespace,
        "get",
        "deploy",
        "shop",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].resources.requests.cpu}",
    ).stdout
    assert live == "50m"


def test_config_change_rolls_pods_with_zero_failed_requests(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    project = cluster_project(tmp_path, namespace, bridge_redis)
    assert k8s_deploy(kube_cluster, project, "--image-record", str(shop_image)).returncode == 0
    before = {p["metadata"]["name"] for p in _pods(kube_cluster, namespace)}
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml").read_text().replace("env = {", 'env = { GREETING = "v2",')
    )
    ips: list[str] = _ready_ips(kube_cluster, namespace)
    done = threading.Event()
    counts = {"ok": 0, "failed": 0}
    failures: list[str] = []

    def watch() -> None:  # what a load balancer does: follow the ready endpoints
        nonlocal ips
        while not done.is_set():
            ips = _ready_ips(kube_cluster, namespace) or ips
            time.sleep(0.2)

    def load() -> None:
        deadline = time.monotonic() + 150
        index = 0
        with httpx.Client(timeout=5, headers={"Connection": "close"}) as client:
            while (
                not done.is_set() and time.monotonic() < deadline and sum(counts.values()) < 20000
            ):
                current = list(ips)
                ip = current[index % len(current)]
                index += 1
                try:
                    status = client.get(f"http://{ip}:8000/").status_code
                except httpx.HTTPError as exc:
                    status = 0
                    failures.append(f"{ip}: {exc!r}")
                counts["ok" if status == 200 else "failed"] += 1
                time.sleep(0.01)

    threads = [threading.Thread(target=watch), threading.Thread(target=load)]
    for thread in threads:
        thread.start()
    try:
        rolled = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image))
    finally:
        time.sleep(1.0)
        done.set()
        for thread in threads:
            thread.join(timeout=30)
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    after = _pods(kube_cluster, namespace)
    assert before.isdisjoint({p["metadata"]["name"] for p in after})
    assert counts["ok"] > 100
    assert counts["failed"] == 0, failures[:5]


@pytest.mark.parametrize(
    ("change", "reason"),
    [("image", "ErrImagePull"), ("crash", "CrashLoopBackOff")],
)
def test_a_broken_version_is_rolled_back_automatically(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
    change: str,
    reason: str,
) -> None:
    project = cluster_project(tmp_path, namespace, bridge_redis)
    assert k8s_deploy(kube_cluster, project, "--image-record", str(shop_image)).returncode == 0
    good = json.loads(shop_image.read_text())["reference"]
    if change == "image":
        args = ["--image", good.split("@")[0] + "@sha256:" + "b" * 64]
    else:
        cluster_project(tmp_path, namespace, bridge_redis, app="shop.missing:app")
        args = ["--image-record", str(shop_image)]
    started = time.monotonic()
    broken = k8s_deploy(kube_cluster, project, *args, "-o", "json")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    report = json_of(broken)
    assert report["rolled_back"] is True
    assert reason in report["reason"]
    assert time.monotonic() - started < 90
    pods = _pods(kube_cluster, namespace)
    live = kubectl(kube_cluster, "-n", namespace, "get", "deploy", "shop", "-o", "json")
    template = json.loads(live.stdout)["spec"]["template"]["spec"]["containers"][0]
    assert template["image"] == good
    assert all(p["spec"]["containers"][0]["image"] == good for p in pods)


def test_prune_removes_a_dropped_object_and_nothing_else(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    with_ingress = '[tool.aloft.kubernetes.ingress]\nhost = "shop.test"\n'
    project = cluster_project(tmp_path, namespace, bridge_redis, extra=with_ingress)
    assert k8s_deploy(kube_cluster, project, "--image-record", str(shop_image)).returncode == 0
    kubectl(kube_cluster, "-n", namespace, "create", "configmap", "not-ours", "--from-literal=a=b")
    kubectl(
        kube_cluster,
        "-n",
        namespace,
        "create",
        "ingress",
        "other-team",
        "--rule=other.test/=other:80",
    )
    old_map = json.loads(
        kubectl(
            kube_cluster,
            "-n",
            namespace,
            "get",
            "configmap",
            "-l",
            "aloft/inventory=shop-fastapi",
            "-o",
            "json",
        ).stdout
    )["items"][0]["metadata"]["name"]
    cluster_project(tmp_path, namespace, bridge_redis)  # the same config without the ingress
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml").read_text().replace("env = {", 'env = { GREETING = "v2",')
    )
    result = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image), "-o", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json_of(result)["pruned"] == [f"Ingress/{namespace}/shop"]
    names = kubectl(
        kube_cluster, "-n", namespace, "get", "ingress,configmap", "-o", "name"
    ).stdout.split()
    assert "ingress.networking.k8s.io/shop" not in names
    assert "ingress.networking.k8s.io/other-team" in names
    assert "configmap/not-ours" in names
    # The previous revision's hashed ConfigMap stays while its ReplicaSet is kept for rollback.
    assert f"configmap/{old_map}" in names


def test_release_job_succeeds_before_the_rollout(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    project = cluster_project(tmp_path, namespace, bridge_redis)
    text = (
        (project / "pyproject.toml")
        .read_text()
        .replace(
            "[tool.aloft.kubernetes.autoscaling]",
            'release = ["/usr/bin/python3", "-c", "print(\\"migrated\\")"]\n'
            "[tool.aloft.kubernetes.autoscaling]",
        )
    )
    (project / "pyproject.toml").write_text(text)
    result = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "release job shop-release-" in result.stderr
    assert result.stderr.index("succeeded") < result.stderr.index("shop: ")
    logs = kubectl(
        kube_cluster, "-n", namespace, "logs", "-l", "app.kubernetes.io/component=release"
    ).stdout
    assert "migrated" in logs


def test_the_server_enforces_restricted_pods(kube_cluster: dict[str, Any], namespace: str) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "privileged", "namespace": namespace},
        "spec": {
            "containers": [{"name": "c", "image": "x", "securityContext": {"privileged": True}}]
        },
    }
    out = kubectl_stdin(kube_cluster, json.dumps(pod))
    assert out.returncode != 0
    assert "PodSecurityPolicy: unable to admit pod" in out.stderr


def kubectl_stdin(facts: dict[str, Any], document: str) -> Any:
    import subprocess

    return subprocess.run(
        [facts["kubectl"], "--kubeconfig", facts["kubeconfig"], "apply", "-f", "-"],
        input=document,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
