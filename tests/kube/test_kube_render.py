"""`aloft k8s render`: secure, consistent manifests by construction from [tool.aloft]."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from kubekit import IMAGE, by_kind, one, render_project, write_project

from aloft.exceptions import ConfigError
from aloft.kube.render import Rendered

FULL = """
[tool.aloft.kubernetes]
namespace = "shop"
cpu = "500m"
memory = "512Mi"
env = { FEATURE_X = "on" }
secret_env = { DATABASE_URL = "db-credentials:url" }
secret_env_from = ["shop-extra"]
files = { "settings.json" = "{}" }
release = ["python", "-m", "shop.migrate"]
monitoring = "servicemonitor"
allow_from = [{ namespace_labels = { "kubernetes.io/metadata.name" = "ingress" } }]
ingress = { host = "shop.example.com", class_name = "nginx", tls_secret = "shop-tls" }
http_route = { gateway = "public", gateway_namespace = "gw", hostnames = ["shop.example.com"] }
external_secret = { store = "aws-sm", data = { STRIPE_KEY = "prod/stripe#key" } }

[tool.aloft.kubernetes.autoscaling]
min_replicas = 3
max_replicas = 12
target_memory = 80

[tool.aloft.kubernetes.services.worker]
app = "shop.worker:app"
memory = "1Gi"
"""


@pytest.fixture
def full(tmp_path: Path) -> Path:
    return write_project(tmp_path, FULL)


def _pod(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def test_deployment_runs_the_image_by_digest_and_never_drops_capacity(full: Path) -> None:
    dep = one(render_project(full), "Deployment", "shop")
    assert _pod(dep)["containers"][0]["image"] == IMAGE
    assert dep["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}


def test_image_by_tag_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="by digest"):
        render_project(write_project(tmp_path), image="registry.example/shop:latest")


def test_pod_meets_restricted_with_read_only_root_and_tmp_empty_dir(full: Path) -> None:
    pod = _pod(one(render_project(full), "Deployment", "shop"))
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 65532
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    ctx = pod["containers"][0]["securityContext"]
    assert ctx["allowPrivilegeEscalation"] is False
    assert ctx["capabilities"] == {"drop": ["ALL"]}
    assert ctx["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]


def test_probes_use_the_runtime_paths_from_config(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml")
        .read_text()
        .replace("drain_delay = 5", 'drain_delay = 5\nhealth_path = "/live"\nready_path = "/ready"')
    )
    container = _pod(one(render_project(project), "Deployment"))["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/live"
    assert container["startupProbe"]["httpGet"]["path"] == "/live"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["ports"][0]["containerPort"] == 8000


def test_grace_period_exceeds_drain_delay_plus_timeout(full: Path) -> None:
    pod = _pod(one(render_project(full), "Deployment", "shop"))
    assert pod["terminationGracePeriodSeconds"] > 5 + 20
    # The runtime delays on SIGTERM itself, so no preStop sleep adds to the drain.
    assert "lifecycle" not in pod["containers"][0]


def test_grace_period_shorter_than_the_drain_is_a_config_error(tmp_path: Path) -> None:
    project = write_project(tmp_path, "[tool.aloft.kubernetes]\ntermination_grace = 20\n")
    with pytest.raises(ConfigError, match=r"termination_grace = 20: shorter than .* \(25s\)"):
        render_project(project)


def test_memory_limit_equals_request_and_cpu_limit_is_optional(full: Path, tmp_path: Path) -> None:
    res = _pod(one(render_project(full), "Deployment", "shop"))["containers"][0]["resources"]
    assert res == {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"memory": "512Mi"}}
    capped = write_project(tmp_path / "capped", '[tool.aloft.kubernetes]\ncpu_limit = "1"\n')
    res = _pod(one(render_project(capped), "Deployment"))["containers"][0]["resources"]
    assert res["limits"] == {"memory": "256Mi", "cpu": "1"}


def test_config_change_renames_the_config_map_the_pods_read(tmp_path: Path) -> None:
    one_ = render_project(
        write_project(tmp_path / "a", '[tool.aloft.kubernetes]\nenv = { X = "1" }\n')
    )
    two = render_project(
        write_project(tmp_path / "b", '[tool.aloft.kubernetes]\nenv = { X = "2" }\n')
    )
    names = []
    for rendered in (one_, two):
        config_map = one(rendered, "ConfigMap")
        env_from = _pod(one(rendered, "Deployment"))["containers"][0]["envFrom"]
        assert {"configMapRef": {"name": config_map["metadata"]["name"]}} in env_from
        assert config_map["immutable"] is True
        names.append(config_map["metadata"]["name"])
    assert names[0] != names[1]
    assert one(one_, "ConfigMap")["data"]["X"] == "1"


def test_secrets_are_references_never_values(full: Path) -> None:
    rendered = render_project(full)
    container = _pod(one(rendered, "Deployment", "shop"))["containers"][0]
    assert container["env"] == [
        {
            "name": "DATABASE_URL",
            "valueFrom": {"secretKeyRef": {"name": "db-credentials", "key": "url"}},
        }
    ]
    assert {"secretRef": {"name": "shop-extra"}} in container["envFrom"]
    assert {"secretRef": {"name": "shop-external"}} in container["envFrom"]
    assert by_kind(rendered, "Secret") == []


def test_service_account_has_no_token_automount(full: Path) -> None:
    rendered = render_project(full)
    assert one(rendered, "ServiceAccount", "shop")["automountServiceAccountToken"] is False
    pod = _pod(one(rendered, "Deployment", "shop"))
    assert pod["serviceAccountName"] == "shop"
    assert pod["automountServiceAccountToken"] is False


def test_every_object_carries_standard_and_cost_labels(full: Path) -> None:
    for obj in render_project(full).objects:
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "aloft"
        assert labels["app.kubernetes.io/part-of"] == "shop"
        assert labels["team"] == "payments"
        assert labels["cost-center"] == "cc-42"


def test_cost_controls_find_the_shared_tags_on_every_object_and_pod_template(full: Path) -> None:
    from tagcheck import check_tags

    objects = render_project(full).objects
    check_tags(
        {f"{o['kind']}/{o['metadata']['name']}": o for o in objects},
        {"team": "payments", "cost-center": "cc-42"},
    )


def test_hpa_owns_replicas_and_budget_keeps_one_pod_spare(full: Path) -> None:
    rendered = render_project(full)
    dep = one(rendered, "Deployment", "shop")
    assert "replicas" not in dep["spec"]
    hpa = one(rendered, "HorizontalPodAutoscaler", "shop")
    assert hpa["spec"]["minReplicas"] == 3
    metrics = {
        m["resource"]["name"]: m["resource"]["target"]["averageUtilization"]
        for m in hpa["spec"]["metrics"]
    }
    assert metrics == {"cpu": 70, "memory": 80}
    pdb = one(rendered, "PodDisruptionBudget", "shop")
    assert pdb["spec"]["maxUnavailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"] == dep["spec"]["selector"]["matchLabels"]


def test_without_autoscaling_the_deployment_sets_replicas(tmp_path: Path) -> None:
    project = write_project(
        tmp_path,
        "[tool.aloft.kubernetes]\nreplicas = 3\n"
        "[tool.aloft.kubernetes.autoscaling]\nenabled = false\n",
    )
    rendered = render_project(project)
    assert one(rendered, "Deployment")["spec"]["replicas"] == 3
    assert by_kind(rendered, "HorizontalPodAutoscaler") == []


@pytest.mark.parametrize(
    ("version", "hpa", "pdb"),
    [("1.20", "autoscaling/v2beta2", "policy/v1beta1"), ("1.31", "autoscaling/v2", "policy/v1")],
)
def test_api_versions_follow_the_target_cluster(
    full: Path, version: str, hpa: str, pdb: str
) -> None:
    rendered = render_project(full, version)
    assert one(rendered, "HorizontalPodAutoscaler", "shop")["apiVersion"] == hpa
    assert one(rendered, "PodDisruptionBudget", "shop")["apiVersion"] == pdb


def test_network_policy_admits_only_configured_sources_on_the_app_port(full: Path) -> None:
    policy = one(render_project(full), "NetworkPolicy", "shop")
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    rule, admin = policy["spec"]["ingress"]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}}
    ]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8000}]
    # Probes and metrics: their own port, from the namespace only unless configured.
    assert admin == {"from": [{"podSelector": {}}], "ports": [{"protocol": "TCP", "port": 8081}]}


def test_optional_routes_monitoring_and_external_secret_are_rendered_when_configured(
    full: Path, tmp_path: Path
) -> None:
    rendered = render_project(full)
    assert one(rendered, "Ingress", "shop")["spec"]["tls"] == [
        {"hosts": ["shop.example.com"], "secretName": "shop-tls"}
    ]
    assert one(rendered, "HTTPRoute", "shop")["spec"]["parentRefs"] == [
        {"name": "public", "namespace": "gw"}
    ]
    assert one(rendered, "ServiceMonitor", "shop")["spec"]["endpoints"][0]["path"] == "/metrics"
    ext = one(rendered, "ExternalSecret", "shop")
    assert ext["spec"]["data"] == [
        {"secretKey": "STRIPE_KEY", "remoteRef": {"key": "prod/stripe", "property": "key"}}
    ]
    plain = render_project(write_project(tmp_path / "plain"))
    kinds = {o["kind"] for o in plain.objects}
    assert kinds == {
        "ServiceAccount",
        "ConfigMap",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
    }
    annotations = one(plain, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"


def test_release_job_runs_the_command_and_its_pods_are_not_served(full: Path) -> None:
    rendered = render_project(full)
    job = one(rendered, "Job")
    pod = job["spec"]["template"]["spec"]
    assert pod["containers"][0]["command"] == ["python", "-m", "shop.migrate"]
    assert pod["containers"][0]["image"] == IMAGE
    assert pod["restartPolicy"] == "Never"
    selector = one(rendered, "Service", "shop")["spec"]["selector"]
    labels = job["spec"]["template"]["metadata"]["labels"]
    assert not all(labels.get(k) == v for k, v in selector.items())


def test_services_of_one_project_find_each_other_by_service_name(full: Path) -> None:
    rendered = render_project(full)
    maps = {
        m["metadata"]["labels"]["app.kubernetes.io/name"]: m["data"]
        for m in by_kind(rendered, "ConfigMap")
        if "ALOFT_APP" in m["data"]
    }
    assert maps["shop"]["WORKER_URL"] == "http://worker.shop.svc"
    assert maps["worker"]["SHOP_URL"] == "http://shop.shop.svc"
    assert maps["worker"]["ALOFT_APP"] == "shop.worker:app"
    # The -admin Services carry the admin port for the ServiceMonitor (monitoring is on).
    assert {s["metadata"]["name"] for s in by_kind(rendered, "Service")} == {
        "shop",
        "worker",
        "shop-admin",
        "worker-admin",
    }
    worker = one(rendered, "Deployment", "worker")
    assert (
        worker["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"]
        == "1Gi"
    )


def test_grace_is_derived_from_the_drain_settings(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    pod = _pod(one(render_project(project), "Deployment"))
    assert pod["terminationGracePeriodSeconds"] == math.ceil(5 + 20 + 5)


def _config_env(rendered: Rendered, name: str = "shop") -> dict[str, str]:
    maps = [o for o in by_kind(rendered, "ConfigMap") if o["metadata"]["name"].startswith(name)]
    return dict(maps[0]["data"])


@pytest.mark.parametrize(
    ("table", "workers"),
    [
        ("", "1"),  # the defaults: 250m and 256Mi
        ('cpu = "2"\n', "2"),
        ('cpu = "4"\n', "3"),  # 256Mi holds the master and 3 workers of 64Mi
        ('cpu = "250m"\ncpu_limit = "64"\nmemory = "1Gi"\n', "15"),
        ('cpu = "8"\nmemory = "2Gi"\nworker_memory = "200Mi"\n', "8"),
    ],
)
def test_manifests_state_a_worker_count_that_the_memory_limit_holds(
    tmp_path: Path, table: str, workers: str
) -> None:
    rendered = render_project(write_project(tmp_path, "[tool.aloft.kubernetes]\n" + table))
    assert _config_env(rendered)["ALOFT_WORKERS"] == workers


def test_explicit_workers_beyond_the_memory_limit_are_refused(tmp_path: Path) -> None:
    project = write_project(tmp_path, "[tool.aloft.environments.prod]\nworkers = 16\n")
    with pytest.raises(ConfigError, match=r'16 workers need about 1072Mi .*use memory = "1072Mi"'):
        render_project(project, environment="prod")


def test_memory_too_small_for_one_worker_is_refused(tmp_path: Path) -> None:
    project = write_project(tmp_path, '[tool.aloft.kubernetes]\nmemory = "64Mi"\n')
    with pytest.raises(ConfigError, match=r'use memory = "112Mi" or more'):
        render_project(project)


def test_probes_and_metrics_use_the_admin_port_and_the_service_and_ingress_do_not(
    full: Path,
) -> None:
    rendered = render_project(full)
    pod = _pod(one(rendered, "Deployment", "shop"))
    container = pod["containers"][0]
    assert container["ports"] == [
        {"name": "http", "containerPort": 8000, "protocol": "TCP"},
        {"name": "admin", "containerPort": 8081, "protocol": "TCP"},
    ]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["port"] == "admin", probe
    assert _config_env(rendered)["ALOFT_ADMIN_PORT"] == "8081"
    public = one(rendered, "Service", "shop")
    assert public["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]
    backend = one(rendered, "Ingress", "shop")["spec"]["rules"][0]["http"]["paths"][0]
    assert backend["backend"]["service"] == {"name": "shop", "port": {"number": 80}}
    monitor = one(rendered, "ServiceMonitor", "shop")["spec"]
    assert monitor["endpoints"][0]["port"] == "admin"
    admin = one(rendered, "Service", "shop-admin")
    assert admin["spec"]["ports"][0]["targetPort"] == "admin"
    # The ServiceMonitor selects the admin Service and never the public one.
    wanted = monitor["selector"]["matchLabels"].items()
    assert all(admin["metadata"]["labels"].get(k) == v for k, v in wanted)
    assert any(public["metadata"]["labels"].get(k) != v for k, v in wanted)


def test_scrape_annotations_name_the_admin_port(tmp_path: Path) -> None:
    dep = one(render_project(write_project(tmp_path)), "Deployment", "shop")
    notes = dep["spec"]["template"]["metadata"]["annotations"]
    assert notes["prometheus.io/port"] == "8081"


def test_admin_port_0_keeps_probes_on_the_app_port(tmp_path: Path) -> None:
    rendered = render_project(write_project(tmp_path, "[tool.aloft.kubernetes]\nadmin_port = 0\n"))
    container = _pod(one(rendered, "Deployment", "shop"))["containers"][0]
    assert [p["name"] for p in container["ports"]] == ["http"]
    assert container["livenessProbe"]["httpGet"]["port"] == "http"
    assert _config_env(rendered)["ALOFT_ADMIN_PORT"] == "0"


def test_admin_port_equal_to_the_app_port_is_refused(tmp_path: Path) -> None:
    project = write_project(tmp_path, "[tool.aloft.kubernetes]\nadmin_port = 8000\n")
    with pytest.raises(ConfigError, match="admin_port = 8000: the app already listens there"):
        render_project(project)


def test_network_policy_admits_ingress_and_monitoring_namespaces_named_in_config(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path,
        """
        [tool.aloft.kubernetes]
        allow_from_namespaces = ["ingress-nginx"]
        metrics_from_namespaces = ["monitoring"]
        """,
    )
    policy = one(render_project(project), "NetworkPolicy", "shop")
    app, admin = policy["spec"]["ingress"]
    by_name = "kubernetes.io/metadata.name"
    assert app == {
        "from": [
            {"podSelector": {}},
            {"namespaceSelector": {"matchLabels": {by_name: "ingress-nginx"}}},
        ],
        "ports": [{"protocol": "TCP", "port": 8000}],
    }
    assert admin == {
        "from": [
            {"podSelector": {}},
            {"namespaceSelector": {"matchLabels": {by_name: "monitoring"}}},
        ],
        "ports": [{"protocol": "TCP", "port": 8081}],
    }
    with pytest.raises(ConfigError, match=r"Kubernetes 1\.20 does not set"):
        render_project(project, version="1.20")
