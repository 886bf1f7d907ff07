"""Kustomize output: `kubectl kustomize` of each overlay equals `aloft k8s render --env`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kubekit import aloft, load_yaml_docs, write_project

ENVS = """
[tool.aloft.kubernetes]
namespace = "shop"
env = { FEATURE_X = "on" }

[tool.aloft.environments.staging.kubernetes.autoscaling]
enabled = false

[tool.aloft.environments.prod]
log_level = "warning"
[tool.aloft.environments.prod.kubernetes]
memory = "1Gi"
env = { FEATURE_X = "off" }
ingress = { host = "shop.example.com" }
"""
IMAGE = "registry.example/shop@sha256:" + "e" * 64


def _kubectl() -> str:
    return str(Path(sys.executable).with_name("kubectl"))


def _keyed(docs: list[dict]) -> dict[tuple[str, str], dict]:
    return {(d["kind"], d["metadata"]["name"]): d for d in docs}


def test_each_overlay_builds_to_the_environment_rendering(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", ENVS)
    out = tmp_path / "k"
    written = aloft(
        "k8s",
        "render",
        "--project",
        str(project),
        "--image",
        IMAGE,
        "--kustomize",
        "--out",
        str(out),
    )
    assert written.returncode == 0, written.stderr
    for env, folder in (
        (None, out / "base"),
        ("staging", out / "overlays/staging"),
        ("prod", out / "overlays/prod"),
    ):
        args = ["k8s", "render", "--project", str(project), "--image", IMAGE]
        direct = aloft(*args, *(["--env", env] if env else []))
        assert direct.returncode == 0, direct.stderr
        built = subprocess.run(
            [_kubectl(), "kustomize", str(folder)], capture_output=True, text=True, check=True
        )
        assert _keyed(load_yaml_docs(built.stdout)) == _keyed(load_yaml_docs(direct.stdout)), env


def test_overlays_differ_where_the_environments_differ(tmp_path: Path) -> None:
    project = write_project(tmp_path / "p", ENVS)
    out = tmp_path / "k"
    aloft(
        "k8s",
        "render",
        "--project",
        str(project),
        "--image",
        IMAGE,
        "--kustomize",
        "--out",
        str(out),
    )
    built = _keyed(
        load_yaml_docs(
            subprocess.run(
                [_kubectl(), "kustomize", str(out / "overlays/staging")],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
    )
    assert not any(kind == "HorizontalPodAutoscaler" for kind, _ in built)
    assert built[("Deployment", "shop")]["spec"]["replicas"] == 2
    prod = _keyed(
        load_yaml_docs(
            subprocess.run(
                [_kubectl(), "kustomize", str(out / "overlays/prod")],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
    )
    assert ("Ingress", "shop") in prod
    assert (
        prod[("Deployment", "shop")]["spec"]["template"]["spec"]["containers"][0]["resources"][
            "limits"
        ]["memory"]
        == "1Gi"
    )
