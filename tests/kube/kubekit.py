"""Helpers for the kube tests: write a project, render it, read YAML back, drive the cluster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import yaml

from aloft.config import load_config
from aloft.kube.render import Rendered, render
from aloft.kube.versions import KubeVersion

ROOT = Path(__file__).resolve().parents[2]
CLUSTER_SCRIPT = ROOT / "tests" / "cluster" / "cluster.py"
BUILD_SCRIPT = ROOT / "tests" / "cluster" / "build.sh"
IMAGE = "registry.example/shop@sha256:" + "a" * 64

BASE = """
[project]
name = "shop"
version = "0.1.0"

[tool.aloft]
app = "shop.main:app"
drain_delay = 5
drain_timeout = 20

[tool.aloft.tags]
team = "payments"
cost_center = "cc-42"
"""


def write_project(folder: Path, extra: str = "", *, base: str = BASE) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(textwrap.dedent(base) + textwrap.dedent(extra))
    return folder


def render_project(
    folder: Path, version: str = "1.31", environment: str | None = None, image: str = IMAGE
) -> Rendered:
    resolved = load_config(folder, environment=environment, environ={})
    return render(resolved, image, KubeVersion.parse(version))


def by_kind(rendered: Rendered, kind: str) -> list[dict[str, Any]]:
    return [o for o in rendered.objects if o["kind"] == kind]


def one(rendered: Rendered, kind: str, name: str | None = None) -> dict[str, Any]:
    found = [o for o in by_kind(rendered, kind) if name is None or o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def aloft(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a user would."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("aloft")), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        timeout=300,
        check=False,
    )


def load_yaml_docs(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def kubectl(
    facts: dict[str, Any], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [facts["kubectl"], "--kubeconfig", facts["kubeconfig"], *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def cluster_up(state: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(CLUSTER_SCRIPT), "up", "--state", str(state)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"test cluster did not start:\n{out.stderr[-4000:]}")
    facts: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return facts


def cluster_down(state: Path) -> None:
    subprocess.run(
        [sys.executable, str(CLUSTER_SCRIPT), "down", "--state", str(state)],
        capture_output=True,
        timeout=120,
        check=False,
    )


def cluster_project(
    folder: Path,
    namespace: str,
    redis_url: str,
    extra: str = "",
    *,
    app: str = "shop.main:app",
    fixed_replicas: bool = True,
    **kube_keys: str,
) -> Path:
    """The FastAPI example as a project for the test cluster. `kube_keys` are TOML values set in
    [tool.aloft.kubernetes]; `extra` (sub-tables) follows; autoscaling is off unless asked."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = "".join(f"{k} = {v}\n" for k, v in kube_keys.items())
    scaling = "[tool.aloft.kubernetes.autoscaling]\nenabled = false\n" if fixed_replicas else ""
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""
            [project]
            name = "shop-fastapi"
            version = "0.1.0"

            [tool.aloft]
            app = "{app}"
            service = "shop"
            drain_delay = 1
            drain_timeout = 5

            [tool.aloft.tags]
            team = "storefront"

            [tool.aloft.kubernetes]
            namespace = "{namespace}"
            cpu = "50m"
            memory = "192Mi"
            env = {{ REDIS_URL = "{redis_url}" }}
            """
        )
        + keys
        + scaling
        + textwrap.dedent(extra)
    )
    return folder


def k8s_deploy(facts: dict[str, Any], project: Path, *args: str) -> Any:
    """`aloft k8s deploy` of `project` against the test cluster, with a bounded wait."""
    return aloft(
        "k8s",
        "deploy",
        "--project",
        str(project),
        "--kubeconfig",
        facts["kubeconfig"],
        "--timeout",
        "120",
        *args,
    )


def json_of(result: Any) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"not JSON:\n{result.stdout}\n{result.stderr}") from None
    return data
