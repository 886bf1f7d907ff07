"""`aloft k8s deploy` paths beyond the single fixed-size service, against the real 1.20 cluster:
an HPA that owns the replica count, several services of one project, custom resources the
cluster has no CRD for, a failing release Job, and choosing a kubeconfig context."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from kubekit import aloft, cluster_project, json_of, k8s_deploy, kubectl

pytestmark = pytest.mark.timeout(300)


def _get(facts: dict[str, Any], namespace: str, *what: str) -> dict[str, Any]:
    out = kubectl(facts, "-n", namespace, "get", *what, "-o", "json")
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def _ready_pods(facts: dict[str, Any], namespace: str, name: str) -> list[dict[str, Any]]:
    items = _get(
        facts,
        namespace,
        "pods",
        "-l",
        f"app.kubernetes.io/name={name},app.kubernetes.io/component=server",
    )["items"]
    return [
        p
        for p in items
        if not p["metadata"].get("deletionTimestamp")
        and any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in p["status"].get("conditions") or []
        )
    ]


def test_deploy_with_autoscaling_leaves_replicas_to_the_hpa(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    scaling = "[tool.aloft.kubernetes.autoscaling]\nmin_replicas = 2\nmax_replicas = 3\n"
    project = cluster_project(tmp_path, namespace, bridge_redis, scaling, fixed_replicas=False)
    result = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image), "-o", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    actions = {o["object"]: o["action"] for o in json_of(result)["objects"]}
    assert actions[f"HorizontalPodAutoscaler/{namespace}/shop"] == "create"

    # 1.20 serves no autoscaling/v2: the object was written as v2beta2, aimed at the Deployment.
    hpa = _get(kube_cluster, namespace, "horizontalpodautoscalers.v2beta2.autoscaling", "shop")
    assert hpa["apiVersion"] == "autoscaling/v2beta2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "shop",
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 3)
    deployment = _get(kube_cluster, namespace, "deployment", "shop")
    ours = [m for m in deployment["metadata"]["managedFields"] if m["manager"] == "aloft"]
    assert ours and all("f:replicas" not in m["fieldsV1"].get("f:spec", {}) for m in ours)

    # The first rollout already has min_replicas, Ready by their probe, not 1 until the HPA syncs.
    assert deployment["spec"]["replicas"] == 2
    assert deployment["status"].get("availableReplicas") == 2, deployment["status"]
    pods = _ready_pods(kube_cluster, namespace, "shop")
    assert len(pods) == 2
    for pod in pods:
        assert httpx.get(f"http://{pod['status']['podIP']}:8000/", timeout=5).status_code == 200

    again = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image), "-o", "json")
    assert again.returncode == 0, again.stdout + again.stderr
    report = json_of(again)
    assert report["changed"] is False, report
    assert {o["action"] for o in report["objects"]} == {"unchanged"}
    after = _get(kube_cluster, namespace, "deployment", "shop")
    assert after["spec"]["replicas"] == 2
    assert after["metadata"]["generation"] == deployment["metadata"]["generation"]


def test_turning_autoscaling_on_keeps_the_running_replicas(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    project = cluster_project(tmp_path, namespace, bridge_redis)
    assert k8s_deploy(kube_cluster, project, "--image-record", str(shop_image)).returncode == 0
    scaling = "[tool.aloft.kubernetes.autoscaling]\nmin_replicas = 2\nmax_replicas = 3\n"
    cluster_project(tmp_path, namespace, bridge_redis, scaling, fixed_replicas=False)

    # aloft stops applying `replicas`; without a handover the server would drop it to 1.
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
    actions = {o["object"]: o for o in json_of(diff)["objects"]}
    assert actions[f"Deployment/{namespace}/shop"]["action"] == "unchanged", actions
    assert actions[f"HorizontalPodAutoscaler/{namespace}/shop"]["action"] == "create"

    result = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "replicas handed over to the HorizontalPodAutoscaler" in result.stderr
    deployment = _get(kube_cluster, namespace, "deployment", "shop")
    assert deployment["spec"]["replicas"] == 2
    owners = {
        m["manager"]
        for m in deployment["metadata"]["managedFields"]
        if "f:replicas" in m["fieldsV1"].get("f:spec", {})
    }
    assert "aloft" not in owners and owners
    events = kubectl(kube_cluster, "-n", namespace, "get", "events", "-o", "json").stdout
    scaled = [e["message"] for e in json.loads(events)["items"] if "Scaled down" in e["message"]]
    assert scaled == []
    assert len(_ready_pods(kube_cluster, namespace, "shop")) == 2

    again = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image), "-o", "json")
    assert again.returncode == 0 and json_of(again)["changed"] is False, again.stdout


def test_deploy_several_services_each_knows_the_others_by_service_name(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    worker = f"""
        [tool.aloft.kubernetes.services.worker]
        app = "shop.main:app"
        cpu = "50m"
        memory = "192Mi"
        env = {{ REDIS_URL = "{bridge_redis}", ROLE = "worker" }}
        [tool.aloft.kubernetes.services.worker.autoscaling]
        enabled = false
        """
    project = cluster_project(tmp_path, namespace, bridge_redis, textwrap.dedent(worker))
    result = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image), "-o", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    created = {o["object"] for o in json_of(result)["objects"]}
    for name in ("shop", "worker"):
        assert f"Deployment/{namespace}/{name}" in created
        assert f"Service/{namespace}/{name}" in created
        deployment = _get(kube_cluster, namespace, "deployment", name)
        assert deployment["status"].get("availableReplicas") == 2, deployment["status"]

    peers = {"shop": "WORKER_URL", "worker": "SHOP_URL"}
    for name, variable in peers.items():
        pod = _ready_pods(kube_cluster, namespace, name)[0]
        printed = kubectl(
            kube_cluster,
            "-n",
            namespace,
            "exec",
            pod["metadata"]["name"],
            "--",
            "/usr/bin/python3",
            "-c",
            f"import os; print(os.environ['{variable}'])",
        ).stdout.strip()
        # The URL names the peer's Service in this namespace, on the Service's port ...
        url = urlsplit(printed)
        peer = variable.removesuffix("_URL").lower()
        assert url.hostname == f"{peer}.{namespace}.svc", printed
        service = _get(kube_cluster, namespace, "service", peer)
        assert (url.port or 80) in {p["port"] for p in service["spec"]["ports"]}
        # ... and that Service selects exactly the peer's ready pods (no cluster DNS or
        # kube-proxy here, so follow the Service to its endpoints as they would).
        endpoints = _get(kube_cluster, namespace, "endpoints", peer)
        ips = {a["ip"] for s in endpoints.get("subsets") or [] for a in s.get("addresses") or []}
        assert ips == {p["status"]["podIP"] for p in _ready_pods(kube_cluster, namespace, peer)}
        for ip in ips:
            target = service["spec"]["ports"][0]["targetPort"]
            port = target if isinstance(target, int) else 8000
            assert httpx.get(f"http://{ip}:{port}/", timeout=5).status_code == 200


def test_deploy_skips_custom_resources_the_cluster_has_no_crd_for(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    extra = """
        [tool.aloft.kubernetes.http_route]
        gateway = "public"
        hostnames = ["shop.test"]
        [tool.aloft.kubernetes.external_secret]
        store = "aws"
        data = { API_TOKEN = "prod/shop#token" }
        """
    project = cluster_project(
        tmp_path,
        namespace,
        bridge_redis,
        textwrap.dedent(extra),
        monitoring='"servicemonitor"',
    )
    # Without the operator nothing would write the Secret the pods read: refused up front.
    refused = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert f"Secret {namespace}/shop-external" in refused.stderr
    assert "nothing was applied" in refused.stderr
    assert _get(kube_cluster, namespace, "all")["items"] == []
    # The Secret the operator would sync; the pods need it, whoever writes it.
    kubectl(
        kube_cluster,
        "-n",
        namespace,
        "create",
        "secret",
        "generic",
        "shop-external",
        "--from-literal=API_TOKEN=t0ken",
    )
    result = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image))
    assert result.returncode == 0, result.stdout + result.stderr
    skipped = {
        "ExternalSecret": "external-secrets.io/",
        "HTTPRoute": "gateway.networking.k8s.io/",
        "ServiceMonitor": "monitoring.coreos.com/",
    }
    lines = result.stdout.splitlines()
    for kind, group in skipped.items():
        line = next((x for x in lines if x.startswith(f"! {kind}/{namespace}/shop")), None)
        assert line is not None, result.stdout
        assert f"the cluster lacks the {kind} CRD ({group}" in line and "not applied" in line
    assert "rolled out" in result.stdout
    kinds = {
        i["kind"] for i in _get(kube_cluster, namespace, "all,configmap,sa,pdb,netpol")["items"]
    }
    assert {"Deployment", "Service", "ConfigMap", "PodDisruptionBudget"} <= kinds

    again = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image), "-o", "json")
    assert again.returncode == 0, again.stdout + again.stderr
    report = json_of(again)
    assert report["changed"] is False
    assert sorted(
        o["object"].split("/")[0] for o in report["objects"] if o["action"] == "skip"
    ) == sorted(skipped)


def test_a_failing_release_job_stops_the_deploy_before_the_rollout(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    project = cluster_project(tmp_path, namespace, bridge_redis)
    assert k8s_deploy(kube_cluster, project, "--image-record", str(shop_image)).returncode == 0
    before = _get(kube_cluster, namespace, "deployment", "shop")
    failing = '["/usr/bin/python3", "-c", "import sys; print(\\"migration broke\\"); sys.exit(3)"]'
    cluster_project(tmp_path, namespace, bridge_redis, release=failing)
    text = (project / "pyproject.toml").read_text().replace("env = {", 'env = { GREETING = "v2",')
    (project / "pyproject.toml").write_text(text)

    result = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image), "-o", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    report = json_of(result)
    assert report["ok"] is False and report["rolled_back"] is False
    job = next(o["object"] for o in report["objects"] if o["object"].startswith("Job/"))
    assert job.startswith(f"Job/{namespace}/shop-release-")
    assert report["reason"].startswith(f"{job} failed")
    assert "nothing rolled out" in report["reason"]
    assert "exited 3: migration broke" in report["reason"], report["reason"]

    after = _get(kube_cluster, namespace, "deployment", "shop")
    assert after["metadata"]["generation"] == before["metadata"]["generation"]
    assert after["spec"]["template"] == before["spec"]["template"]
    sets = _get(kube_cluster, namespace, "replicasets", "-l", "app.kubernetes.io/name=shop")
    assert len(sets["items"]) == 1


def test_context_picks_one_of_two_and_an_unknown_one_is_a_one_line_error(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    config = json.loads(Path(kube_cluster["kubeconfig"]).read_text())
    real = config["current-context"]
    # A second context whose server nothing listens on (port 9 on loopback), made the current one.
    config["clusters"].append(
        {
            "name": "nowhere",
            "cluster": {"server": "https://127.0.0.1:9", "insecure-skip-tls-verify": True},
        }
    )
    config["contexts"].append(
        {"name": "nowhere", "context": {"cluster": "nowhere", "user": "admin"}}
    )
    config["current-context"] = "nowhere"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps(config))
    project = cluster_project(tmp_path / "project", namespace, bridge_redis)
    common = [
        "--project",
        str(project),
        "--image-record",
        str(shop_image),
        "--kubeconfig",
        str(kubeconfig),
    ]

    chosen = aloft("k8s", "deploy", *common, "--context", real, "--dry-run", "-o", "json")
    assert chosen.returncode == 0, chosen.stdout + chosen.stderr
    report = json_of(chosen)
    assert report["dry_run"] is True
    assert report["objects"] and {o["action"] for o in report["objects"]} == {"create"}

    current = aloft("k8s", "diff", *common)
    assert current.returncode == 1
    assert len(current.stderr.strip().splitlines()) == 1, current.stderr
    assert "cannot reach the cluster of context nowhere" in current.stderr

    unknown = aloft("k8s", "deploy", *common, "--context", "staging")
    assert unknown.returncode == 2
    assert unknown.stdout == ""
    assert len(unknown.stderr.strip().splitlines()) == 1, unknown.stderr
    assert (
        "--context staging" in unknown.stderr
        and f"known: {', '.join(sorted([real, 'nowhere']))}" in unknown.stderr
    )
    # Nothing was applied anywhere.
    assert _get(kube_cluster, namespace, "deployments")["items"] == []
