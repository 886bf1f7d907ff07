"""`aloft k8s check` fixes from running it on public manifests (issue 19, part 4)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from aloft.checks.kube.engine import CheckOptions, KubeChecker, display_root
from aloft.kube.versions import KubeVersion
from aloft.kube.yamlio import load_documents


def findings(text: str, rule: str, name: str = "m.yaml") -> list[str]:
    text = textwrap.dedent(text)
    docs = load_documents(Path(name), text, name)
    report = KubeChecker(CheckOptions(KubeVersion.parse("1.31"))).run(docs, ".", {name: text})
    return [f.message for f in report.findings if f.rule == rule]


def deployment(replicas: str = "", rolling: str = "", extra: str = "") -> str:
    return f"""
    apiVersion: apps/v1
    kind: Deployment
    metadata: {{name: web}}
    spec:
      {replicas}
      selector: {{matchLabels: {{app: web}}}}
      strategy:
        type: RollingUpdate
        rollingUpdate: {{{rolling}}}
      template:
        metadata: {{labels: {{app: web}}}}
        spec:
          containers:
          - name: web
            image: shop:1.2.3
    {extra}
    """


HPA = """
    ---
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata: {name: web}
    spec:
      scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
      minReplicas: 4
      maxReplicas: 8
"""


@pytest.mark.parametrize(
    ("replicas", "rolling", "extra", "fires"),
    [
        ("", "", "", False),  # 1 replica by default; 25% of 1 rounds down to 0
        ("replicas: 1", "", "", False),
        ("replicas: 3", "", "", False),  # 25% of 3 is 0.75: 0 pods
        ("replicas: 4", "", "", True),  # 25% of 4 is 1 pod
        ("replicas: 3", "maxUnavailable: 1", "", True),
        ("replicas: 1", "maxUnavailable: 0, maxSurge: 0", "", True),  # the controller uses 1
        ("replicas: 1", "", HPA, True),  # the HPA minimum (4) stands in for replicas
        ("replicas: 10", "maxUnavailable: 0", "", False),
    ],
)
def test_rel009_computes_max_unavailable_as_kubernetes_does(
    replicas: str, rolling: str, extra: str, fires: bool
) -> None:
    assert bool(findings(deployment(replicas, rolling, extra), "REL009")) is fires


def pod(security: str) -> str:
    return f"""
    apiVersion: v1
    kind: Pod
    metadata: {{name: p}}
    spec:
      containers:
      - name: app
        image: shop:1.2.3
        securityContext: {security}
    """


def test_pss005_requires_exactly_all_as_pod_security_does() -> None:
    assert findings(pod("{capabilities: {drop: [ALL]}}"), "PSS005") == []
    [message] = findings(pod("{capabilities: {drop: [all]}}"), "PSS005")
    assert "'all'" in message and "exact value ALL" in message


WORKLOAD_WITH_TOKEN = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: operator, namespace: ops}
spec:
  selector: {matchLabels: {app: op}}
  template:
    metadata: {labels: {app: op}}
    spec:
      serviceAccountName: operator
      automountServiceAccountToken: true
      containers:
      - {name: op, image: "op:1.0.0"}
"""

BINDING = """
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: operator, namespace: ops}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: operator}
subjects:
- {kind: ServiceAccount, name: operator, namespace: ops}
"""


def test_sec002_respects_an_explicit_true_for_a_service_account_bound_to_roles() -> None:
    assert findings(WORKLOAD_WITH_TOKEN + BINDING, "SEC002") == []
    [unbound] = findings(WORKLOAD_WITH_TOKEN, "SEC002")
    assert "no RoleBinding" in unbound


@pytest.mark.parametrize(
    ("image", "pinned"),
    [
        ("nginx", False),
        ("nginx:latest", False),
        ("ghcr.io/acme/api:master", False),
        ("redis:alpine", False),
        ("python:bookworm", False),
        ("redis:7.2-alpine", True),
        ("ghcr.io/acme/api:3f2a9c1", True),
        ("nginx@sha256:" + "a" * 64, True),
    ],
)
def test_rel004_flags_moving_tags(image: str, pinned: bool) -> None:
    text = f"""
    apiVersion: v1
    kind: Pod
    metadata: {{name: p}}
    spec:
      containers:
      - {{name: app, image: "{image}"}}
    """
    assert (findings(text, "REL004") == []) is pinned


def test_a_kustomization_file_is_noted_as_a_build_input_not_an_object() -> None:
    text = "resources:\n- deployment.yaml\nimages:\n- {name: shop, newTag: 1.2.3}\n"
    docs = load_documents(Path("kustomization.yaml"), text, "kustomization.yaml")
    report = KubeChecker(CheckOptions(KubeVersion.parse("1.31"))).run(docs, ".", {})
    assert report.findings == []
    [note] = report.notes
    assert "Kustomize build file" in note.message and "None" not in note.message


def test_rel001_fix_names_aloft_paths_only_for_aloft_run_containers() -> None:
    plain = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers:
          - {name: web, image: "shop:1.2.3"}
    """
    [message] = findings(plain, "REL001")
    assert "/healthz" not in message and "aloft" not in message
    aloft_run = plain.replace(
        '{name: web, image: "shop:1.2.3"}',
        '{name: web, image: "shop:1.2.3", env: [{name: ALOFT_PORT, value: "8000"}]}',
    )
    [message] = findings(aloft_run, "REL001")
    assert "aloft serves /readyz and /healthz" in message
    from aloft.checks.kube.engine import load_kube_catalog

    assert "aloft" not in load_kube_catalog().rules["REL001"].fix


def test_the_report_root_is_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "deploy").mkdir()
    monkeypatch.chdir(tmp_path)
    assert display_root(str(tmp_path)) == "."
    assert display_root(str(tmp_path / "deploy")) == "deploy"
    assert display_root("deploy") == "deploy"
