"""KUB004 selector-mismatch: `aloft k8s check` flags a workload whose selector misses its pods."""

from __future__ import annotations

from pathlib import Path

import pytest

from aloft.checks.kube.engine import CheckOptions, KubeChecker
from aloft.kube.versions import KubeVersion
from aloft.kube.yamlio import load_documents

WORKLOAD = """\
apiVersion: apps/v1
kind: @KIND@
metadata: {name: web}
spec:
  selector:
@SELECTOR@
  template:
    metadata:
      labels: {app: web, tier: front, track: stable}
    spec:
      containers:
      - {name: web, image: web}
"""


def _findings(selector: str, kind: str = "Deployment") -> list[tuple[str, int, str]]:
    text = WORKLOAD.replace("@KIND@", kind).replace("@SELECTOR@", selector)
    docs = load_documents(Path("m.yaml"), text, "m.yaml")
    report = KubeChecker(CheckOptions(KubeVersion.parse("1.31"))).run(docs, ".", {})
    return [
        (f.location.field, f.location.line, f.message)
        for f in report.findings
        if f.rule == "KUB004"
    ]


@pytest.mark.parametrize(
    ("selector", "reason"),
    [
        ("    matchLabels: {app: api}", "matchLabels app=api: the template has app=web"),
        (
            "    matchLabels: {app: web, env: prod}",
            "matchLabels env=prod: the template has no label env",
        ),
        (
            "    matchExpressions:\n    - {key: tier, operator: In, values: [back, batch]}",
            "matchExpressions tier In ['back', 'batch']: the template has tier=front",
        ),
        (
            "    matchExpressions:\n    - {key: track, operator: NotIn, values: [stable]}",
            "matchExpressions track NotIn ['stable']: the template has track=stable",
        ),
        (
            "    matchExpressions:\n    - {key: release, operator: Exists}",
            "matchExpressions release Exists: the template has no label release",
        ),
        (
            "    matchExpressions:\n    - {key: track, operator: DoesNotExist}",
            "matchExpressions track DoesNotExist: the template has track=stable",
        ),
        (
            "    matchLabels: {app: web}\n    matchExpressions:\n    - {key: app, operator: Is}",
            "operator 'Is' is not one of In, NotIn, Exists, DoesNotExist",
        ),
    ],
)
def test_fires_when_the_selector_does_not_select_the_template(selector: str, reason: str) -> None:
    ((field, line, message),) = _findings(selector)
    assert field == "spec.selector"
    assert line == 5
    assert reason in message


@pytest.mark.parametrize("kind", ["StatefulSet", "DaemonSet", "ReplicaSet"])
def test_fires_for_every_kind_that_owns_pods_by_selector(kind: str) -> None:
    assert len(_findings("    matchLabels: {app: api}", kind)) == 1


def test_fires_on_an_empty_selector_which_would_select_every_pod() -> None:
    ((_, _, message),) = _findings("    matchLabels: {}")
    assert "the selector is empty" in message


@pytest.mark.parametrize(
    "selector",
    [
        "    matchLabels: {app: web}",  # a subset of the template's labels
        "    matchLabels: {app: web, tier: front, track: stable}",
        "    matchExpressions:\n    - {key: tier, operator: In, values: [front, back]}",
        "    matchExpressions:\n    - {key: track, operator: NotIn, values: [canary]}",
        "    matchExpressions:\n    - {key: release, operator: NotIn, values: [v1]}",  # key absent
        "    matchExpressions:\n    - {key: tier, operator: Exists}",
        "    matchExpressions:\n    - {key: release, operator: DoesNotExist}",
        "    matchLabels: {app: web}\n    matchExpressions:\n"
        "    - {key: tier, operator: In, values: [front]}\n"
        "    - {key: canary, operator: DoesNotExist}",
    ],
)
def test_does_not_flag_a_selector_that_selects_the_template(selector: str) -> None:
    assert _findings(selector) == []


def test_does_not_flag_kinds_whose_selector_is_generated() -> None:
    job = WORKLOAD.replace("apps/v1", "batch/v1").replace("@KIND@", "Job")
    text = job.replace("@SELECTOR@", "    matchLabels: {controller-uid: abc}")
    docs = load_documents(Path("m.yaml"), text, "m.yaml")
    report = KubeChecker(CheckOptions(KubeVersion.parse("1.31"))).run(docs, ".", {})
    assert [f for f in report.findings if f.rule == "KUB004"] == []


def test_a_disruption_budget_selecting_by_expression_covers_the_deployment() -> None:
    """REL005 reads PDB selectors with the same LabelSelector semantics (it ignored expressions)."""
    deployment = (
        WORKLOAD.replace("@KIND@", "Deployment")
        .replace("@SELECTOR@", "    matchLabels: {app: web}")
        .replace("spec:\n  selector", "spec:\n  replicas: 3\n  selector", 1)
    )
    pdb = (
        "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\n"
        "spec:\n  maxUnavailable: 1\n  selector:\n    matchExpressions:\n"
        "    - {key: app, operator: In, values: [web]}\n"
    )
    docs = load_documents(Path("m.yaml"), deployment + pdb, "m.yaml")
    report = KubeChecker(CheckOptions(KubeVersion.parse("1.31"))).run(docs, ".", {})
    assert "REL005" not in {f.rule for f in report.findings}
    without = load_documents(Path("m.yaml"), deployment, "m.yaml")
    report = KubeChecker(CheckOptions(KubeVersion.parse("1.31"))).run(without, ".", {})
    assert "REL005" in {f.rule for f in report.findings}
