"""What `aloft k8s deploy|diff` hand down: the gate that refuses manifests with an error finding,
and the config and Kubernetes version resolved once by the CLI (no cluster needed: every case
here is refused before any connection)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubekit import IMAGE, aloft, write_project

from aloft.checks.kube.gate import deploy_gate
from aloft.config import load_config
from aloft.kube.render import Rendered, configured_version, render
from aloft.kube.versions import KubeVersion


def _privileged(obj: dict[str, Any]) -> dict[str, Any]:
    """`obj` (aloft's Deployment) with a privileged container, which PSS001 refuses as an error."""
    spec = obj["spec"]["template"]["spec"]
    first = spec["containers"][0]
    container = {**first, "securityContext": {**first["securityContext"], "privileged": True}}
    template = {**obj["spec"]["template"], "spec": {**spec, "containers": [container]}}
    return {**obj, "spec": {**obj["spec"], "template": template}}


def test_the_gate_lets_aloft_s_own_manifests_through(tmp_path: Path) -> None:
    project = write_project(tmp_path)
    rendered = render(load_config(project, environ={}), IMAGE, KubeVersion.latest())
    assert deploy_gate(project)(rendered) is None


def test_the_gate_refuses_an_error_finding_in_one_line_naming_object_field_and_rule(
    tmp_path: Path,
) -> None:
    project = write_project(tmp_path)
    rendered = render(load_config(project, environ={}), IMAGE, KubeVersion.latest())
    objects = [_privileged(o) if o["kind"] == "Deployment" else o for o in rendered.objects]
    refusal = deploy_gate(project)(Rendered(rendered.version, rendered.services, objects))
    assert refusal is not None and "\n" not in refusal
    assert refusal.startswith("Deployment/default/shop ")
    assert "securityContext.privileged" in refusal and "PSS001" in refusal


def test_the_configured_version_is_named_by_its_field_and_none_leaves_it_to_the_cluster(
    tmp_path: Path,
) -> None:
    resolved = load_config(write_project(tmp_path), environ={})
    assert configured_version(resolved, None) is None
    assert configured_version(resolved, "1.27") == KubeVersion(1, 27)


def test_a_bad_kube_version_in_config_names_its_field_before_any_connection(
    tmp_path: Path,
) -> None:
    project = write_project(tmp_path, '\n[tool.aloft.kubernetes]\nkube_version = "latest"\n')
    for verb in ("deploy", "diff"):
        result = aloft(
            "k8s",
            verb,
            "--project",
            str(project),
            "--image",
            IMAGE,
            "--kubeconfig",
            str(tmp_path / "no-such-kubeconfig"),
        )
        assert result.returncode == 2, result.stdout + result.stderr
        [line] = result.stderr.strip().splitlines()
        assert '[tool.aloft.kubernetes] kube_version = "latest"' in line
