"""`aloft k8s check`: lint rules on the shared findings core, suppression, reporters, exits."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from kubekit import aloft, write_project

from aloft.checks.kube.engine import CheckOptions, KubeChecker, load_kube_catalog
from aloft.checks.kube.rules import rule_modules
from aloft.kube.versions import KubeVersion
from aloft.kube.yamlio import load_documents

NAIVE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      hostNetwork: true
      volumes:
      - name: host
        hostPath: {path: /var/run}
      containers:
      - name: web
        image: shop:latest
        env:
        - name: API_TOKEN
          value: abc123
        ports:
        - containerPort: 8000
          hostPort: 8000
        securityContext:
          privileged: true
          capabilities:
            add: [NET_ADMIN]
          runAsUser: 0
        livenessProbe:
          httpGet: {path: /healthz, port: 8000}
        readinessProbe:
          httpGet: {path: /healthz, port: 8000}
          periodSeconds: 3
        lifecycle:
          preStop:
            exec:
              command: ["sh", "-c", "sleep 40"]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 3
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: batch}
spec:
  selector:
    matchLabels: {app: batch}
  strategy: {type: Recreate}
  template:
    metadata:
      labels: {app: batch-worker}
    spec:
      containers:
      - name: batch
        image: batch
        env:
        - {name: ALOFT_WORKERS, value: "0"}
"""


def _check(text: str, version: str = "1.31", name: str = "m.yaml") -> list[tuple[str, str, int]]:
    docs = load_documents(Path(name), text, name)
    report = KubeChecker(CheckOptions(KubeVersion.parse(version))).run(docs, ".", {name: text})
    return [(f.rule, f.location.field, f.location.line) for f in report.findings]


def test_every_rule_in_the_catalog_has_a_module_and_fires_on_the_naive_manifest() -> None:
    catalog = load_kube_catalog()
    engine_rules = {"KUB001", "KUB002", "KUB003"}
    assert set(rule_modules()) | engine_rules == set(catalog.rules)
    fired = {rule for rule, _, _ in _check(NAIVE)}
    missing = set(catalog.rules) - fired - engine_rules
    assert missing == set()


def test_findings_point_at_the_line_and_field() -> None:
    findings = _check(NAIVE)
    assert ("PSS001", "spec.template.spec.containers.0.securityContext.privileged", 27) in findings
    assert ("REL004", "spec.template.spec.containers.0.image", 19) in findings
    assert ("CFG101", "spec.template.spec.containers.0.env.0.value", 22) in findings
    assert ("REL008", "spec.template.spec.containers.0.lifecycle.preStop", 37) in findings


def test_unserved_api_version_is_an_error_for_an_old_cluster() -> None:
    rules = [rule for rule, _, _ in _check(NAIVE, "1.20")]
    assert "KUB002" in rules
    assert "KUB002" not in [rule for rule, _, _ in _check(NAIVE, "1.31")]


def test_annotation_and_comment_suppress_exactly_what_they_name() -> None:
    text = NAIVE.replace(
        "metadata:\n  name: web\n",
        "metadata:\n  name: web\n  annotations:\n"
        '    aloft/ignore: "REL004, PSS008: test fixture; REL007: one node"\n',
        1,
    ).replace("value: abc123", "value: abc123  # aloft: ignore[CFG101] revoked demo token")
    before = {(rule, line) for rule, _, line in _check(NAIVE)}
    after = {(rule, line) for rule, _, line in _check(text)}
    shift = 2  # the annotation adds two lines
    gone = {(rule, line) for rule, line in before if (rule, line + shift) not in after}
    assert {rule for rule, _ in gone} == {"REL004", "PSS008", "REL007", "CFG101"}
    # The other Deployment's unpinned image and the HPA are untouched by web's annotation.
    assert ("REL004", 62 + shift) in after
    assert "REL010" in {rule for rule, _ in after}


def test_cli_exit_codes_and_reporters(tmp_path: Path) -> None:
    bad = tmp_path / "naive.yaml"
    bad.write_text(NAIVE)
    human = aloft("k8s", "check", str(bad), cwd=tmp_path)
    assert human.returncode == 1
    assert (
        "naive.yaml:27:1 Deployment/web spec.template.spec.containers.0.securityContext.privileged"
        in human.stdout
    )
    report = json.loads(aloft("k8s", "check", str(bad), "-o", "json", cwd=tmp_path).stdout)
    assert report["tool"] == "k8s check"
    assert report["counts"]["error"] > 0
    sarif = json.loads(aloft("k8s", "check", str(bad), "-o", "sarif", cwd=tmp_path).stdout)
    run = sarif["runs"][0]
    assert sarif["version"] == "2.1.0"
    assert run["tool"]["driver"]["name"] == "aloft k8s check"
    result = next(r for r in run["results"] if r["ruleId"] == "PSS001")
    assert result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 27
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith(
        "Deployment/web."
    )


def test_warnings_alone_pass_unless_fail_on_warning(tmp_path: Path) -> None:
    only_warnings = tmp_path / "w.yaml"
    only_warnings.write_text(
        textwrap.dedent(
            """\
            apiVersion: autoscaling/v2
            kind: HorizontalPodAutoscaler
            metadata: {name: web}
            spec:
              scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
              minReplicas: 1
              maxReplicas: 3
            """
        )
    )
    assert aloft("k8s", "check", str(only_warnings), cwd=tmp_path).returncode == 0
    assert (
        aloft("k8s", "check", str(only_warnings), "--fail-on", "warning", cwd=tmp_path).returncode
        == 1
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("kind: [unclosed\n", "not valid YAML"),
        ("- just\n- a list\n", "a manifest document must be a mapping"),
    ],
)
def test_a_file_that_does_not_parse_is_a_finding_and_the_rest_is_checked(
    tmp_path: Path, content: str, expected: str
) -> None:
    (tmp_path / "bad.yaml").write_text(content)
    (tmp_path / "good.yaml").write_text(NAIVE)
    result = aloft("k8s", "check", str(tmp_path), "-o", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    unreadable = [f for f in report["findings"] if f["rule"] == "KUB003"]
    assert [f["path"] for f in unreadable] == ["bad.yaml"]
    assert unreadable[0]["line"] >= 1
    assert expected in unreadable[0]["message"]
    assert any(f["path"] == "good.yaml" and f["rule"] == "PSS001" for f in report["findings"])
    assert report["root"] == "."
    missing = aloft("k8s", "check", str(tmp_path / "nope.yaml"), cwd=tmp_path)
    assert missing.returncode == 2
    assert "no such file or folder" in missing.stderr


def test_check_without_files_checks_the_projects_own_rendering(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    result = aloft("k8s", "check", "--project", str(project), "--kube-version", "1.20")
    assert result.returncode == 0, result.stdout
    assert "0 findings" in result.stdout


SIZED = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: shop-env, namespace: shop}
data: {ALOFT_WORKERS: "@N@", ALOFT_PORT: "8000"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: shop, namespace: shop}
spec:
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
      - name: app
        image: shop
        envFrom:
        - configMapRef: {name: shop-env}
        resources:
          requests: {cpu: 250m, memory: 256Mi}
          limits: @LIMITS@
"""


def _rel011(workers: str, limits: str) -> list[str]:
    docs = load_documents(
        Path("m.yaml"), SIZED.replace("@N@", workers).replace("@LIMITS@", limits), "m.yaml"
    )
    report = KubeChecker(CheckOptions(KubeVersion.parse("1.31"))).run(docs, ".", {})
    return [f.message for f in report.findings if f.rule == "REL011"]


def test_rel011_flags_auto_workers_without_a_cpu_limit_the_issue_13_default() -> None:
    (message,) = _rel011("0", "{memory: 256Mi}")
    assert "ALOFT_WORKERS is 0 or unset and there is no CPU limit" in message
    assert "3 workers fit in its memory limit" in message


def test_rel011_flags_a_worker_count_the_memory_limit_cannot_hold() -> None:
    (message,) = _rel011("16", "{memory: 256Mi}")
    assert "16 workers (ALOFT_WORKERS=16) need about 1072Mi" in message


def test_rel011_flags_a_cpu_limit_whose_workers_outgrow_memory() -> None:
    (message,) = _rel011("0", "{cpu: '8', memory: 256Mi}")
    assert "8 workers (CPU limit 8) need about 560Mi" in message


def test_rel011_accepts_counts_that_fit() -> None:
    assert _rel011("2", "{memory: 256Mi}") == []
    assert _rel011("0", "{cpu: '2', memory: 256Mi}") == []


def test_rel011_reads_web_concurrency_of_other_servers() -> None:
    text = SIZED.replace("ALOFT_WORKERS", "WEB_CONCURRENCY").replace("ALOFT_PORT", "PORT")
    docs = load_documents(
        Path("m.yaml"), text.replace("@N@", "12").replace("@LIMITS@", "{memory: 512Mi}"), "m"
    )
    report = KubeChecker(CheckOptions(KubeVersion.parse("1.31"))).run(docs, ".", {})
    assert [f.rule for f in report.findings if f.rule == "REL011"] == ["REL011"]


def test_rel011_takes_the_declared_worker_memory() -> None:
    text = SIZED.replace("@N@", "6").replace("@LIMITS@", "{memory: 256Mi}")
    assert _rel011("6", "{memory: 256Mi}")  # 6 x 64Mi + 48Mi does not fit
    declared = text.replace(
        "metadata: {name: shop, namespace: shop}",
        'metadata: {name: shop, namespace: shop, annotations: {"aloft/worker-memory": 32Mi}}',
    )
    report = KubeChecker(CheckOptions(KubeVersion.parse("1.31"))).run(
        load_documents(Path("m.yaml"), declared, "m.yaml"), ".", {}
    )
    assert [f for f in report.findings if f.rule == "REL011"] == []


def test_own_rendering_with_small_workers_passes_rel011(tmp_path: Path) -> None:
    project = write_project(
        tmp_path, '[tool.aloft.kubernetes]\ncpu = "6"\nworker_memory = "32Mi"\n'
    )
    result = aloft("k8s", "check", "--project", str(project), "--kube-version", "1.31")
    assert result.returncode == 0, result.stdout
    assert "REL011" not in result.stdout
