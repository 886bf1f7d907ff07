"""Render + check time of aloft for a 10-service project versus `kubectl apply --dry-run=client`
on the same YAML, and lint findings of aloft's output versus a kompose-style naive Deployment.

    uv run python bench/kube_render_check.py [--kubeconfig FILE]

Without --kubeconfig the test cluster of tests/cluster is started for kubectl (it needs a server
for discovery even in client dry-run) and torn down afterwards. Prints ratios measured in one run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "kube"))

from kubekit import cluster_down, cluster_up, write_project  # noqa: E402

from aloft.checks.kube.engine import (  # noqa: E402
    CheckOptions,
    KubeChecker,
    read_documents,
    rendered_documents,
)
from aloft.config import load_config  # noqa: E402
from aloft.kube.render import render  # noqa: E402
from aloft.kube.versions import KubeVersion  # noqa: E402
from aloft.kube.yamlio import dump  # noqa: E402

IMAGE = "registry.example/shop@sha256:" + "a" * 64
ROUNDS = 5
NAIVE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {io.kompose.service: web}
spec:
  replicas: 2
  selector:
    matchLabels: {io.kompose.service: web}
  template:
    metadata:
      labels: {io.kompose.service: web}
    spec:
      containers:
      - name: web
        image: shop:latest
        ports:
        - containerPort: 8000
        env:
        - name: DATABASE_URL
          value: postgres://app:secret@db/app
      restartPolicy: Always
"""


def ten_services(folder: Path) -> Path:
    extra = '[tool.aloft.kubernetes]\nnamespace = "bench"\n'
    for index in range(1, 10):
        extra += f'[tool.aloft.kubernetes.services.svc{index}]\napp = "shop.svc{index}:app"\n'
    return write_project(folder, extra)


def aloft_render_check(project: Path, version: KubeVersion) -> tuple[float, str, int]:
    started = time.perf_counter()
    rendered = render(load_config(project, environ={}), IMAGE, version)
    report = KubeChecker(CheckOptions(version)).run(
        rendered_documents(rendered.objects, "(rendered)"), str(project)
    )
    return time.perf_counter() - started, dump(rendered.objects), len(report.findings)


def kubectl_dry_run(kubectl: str, kubeconfig: str, manifest: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [kubectl, "--kubeconfig", kubeconfig, "apply", "--dry-run=client", "-f", str(manifest)],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubeconfig")
    args = parser.parse_args()
    version = KubeVersion.parse("1.20")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        project = ten_services(folder / "project")
        aloft_render_check(project, version)  # warm imports and schema caches once
        aloft_times, text, findings = [], "", 0
        for _ in range(ROUNDS):
            seconds, text, findings = aloft_render_check(project, version)
            aloft_times.append(seconds)
        manifest = folder / "all.yaml"
        manifest.write_text(text)
        state = folder / "cluster"
        facts = None
        if args.kubeconfig:
            kubeconfig, kubectl = args.kubeconfig, "kubectl"
        else:
            facts = cluster_up(state)
            kubeconfig, kubectl = facts["kubeconfig"], facts["kubectl"]
        try:
            subprocess.run(
                [kubectl, "--kubeconfig", kubeconfig, "create", "namespace", "bench"],
                capture_output=True,
                check=False,
            )
            kubectl_times = [kubectl_dry_run(kubectl, kubeconfig, manifest) for _ in range(ROUNDS)]
        finally:
            if facts:
                cluster_down(state)
        naive = folder / "naive.yaml"
        naive.write_text(NAIVE)
        docs, texts = read_documents([naive], folder)
        naive_report = KubeChecker(CheckOptions(version)).run(docs, str(folder), texts)
    objects = text.count("\nkind: ") + text.startswith("kind: ")
    a, k = statistics.median(aloft_times), statistics.median(kubectl_times)
    print(f"10-service project: {objects} objects, {len(text)} bytes of YAML (Kubernetes 1.20)")
    print(f"aloft render + schema + lint : {a * 1000:8.1f} ms (median of {ROUNDS})")
    print(f"kubectl apply --dry-run=client: {k * 1000:8.1f} ms (median of {ROUNDS}, same YAML)")
    print(f"ratio aloft / kubectl         : {a / k:8.2f}")
    print(f"lint findings, aloft output   : {findings}")
    print(f"lint findings, naive (kompose-style) Deployment: {len(naive_report.findings)}")
    rules = sorted({f.rule for f in naive_report.findings})
    print(f"  rules violated: {', '.join(rules)}")


if __name__ == "__main__":
    main()
