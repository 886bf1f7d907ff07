"""Offline schema validation against the target Kubernetes version, and aloft's own output."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubekit import render_project, write_project
from test_kube_render import FULL

from aloft.checks.kube.engine import CheckOptions, KubeChecker, rendered_documents
from aloft.kube import schema
from aloft.kube.versions import KubeVersion


@pytest.mark.parametrize("version", ["1.20", "1.25", "1.37"])
def test_every_rendered_object_matches_its_schema(tmp_path: Path, version: str) -> None:
    rendered = render_project(write_project(tmp_path, FULL), version)
    for obj in rendered.objects:
        result = schema.validate(obj, KubeVersion.parse(version))
        assert result.served, obj["kind"]
        assert result.schema, f"no schema judged {obj['kind']}"
        assert result.errors == [], (obj["kind"], result.errors)


@pytest.mark.parametrize("version", ["1.20", "1.37"])
def test_aloft_output_passes_every_lint_rule(tmp_path: Path, version: str) -> None:
    rendered = render_project(write_project(tmp_path, FULL), version)
    checker = KubeChecker(CheckOptions(KubeVersion.parse(version)))
    report = checker.run(rendered_documents(rendered.objects, "(rendered)"), str(tmp_path))
    assert report.findings == []
    assert report.notes == []


@pytest.mark.parametrize("version", ["1.20", "1.37"])
def test_a_misspelt_field_and_a_wrong_type_are_errors_with_their_path(version: str) -> None:
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": "two",
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"spec": {"containers": [{"name": "web", "imagePullPolice": "Always"}]}},
        },
    }
    errors = {e.field: e.message for e in schema.validate(obj, KubeVersion.parse(version)).errors}
    assert "spec.replicas" in errors
    assert "'two' is not of type" in errors["spec.replicas"]
    assert "'imagePullPolice' was unexpected" in errors["spec.template.spec.containers.0"]


def test_api_versions_the_target_does_not_serve_are_reported() -> None:
    hpa_v2 = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "x"},
    }
    pdb_beta = {
        "apiVersion": "policy/v1beta1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "x"},
    }
    assert schema.validate(hpa_v2, KubeVersion.parse("1.20")).served is False
    assert schema.validate(hpa_v2, KubeVersion.parse("1.30")).served is True
    assert schema.validate(pdb_beta, KubeVersion.parse("1.20")).served is True
    assert schema.validate(pdb_beta, KubeVersion.parse("1.30")).served is False


def test_custom_resources_are_checked_against_the_kept_crd_schemas() -> None:
    bad = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "x"},
        "spec": {"selector": {}, "endpoints": [{"port": "http", "interval": "thirty seconds"}]},
    }
    result = schema.validate(bad, KubeVersion.parse("1.30"))
    assert result.schema.startswith("ServiceMonitor CRD prometheus-operator")
    assert [e.field for e in result.errors] == ["spec.endpoints.0.interval"]
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "x"}}
    assert schema.validate(unknown, KubeVersion.parse("1.30")).schema == ""
