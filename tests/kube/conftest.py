"""Session fixtures for the kube tests: the real single-node 1.20 cluster (started once, torn
down and the host restored even when a test fails), Redis on the pod bridge, the example image."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubekit import BUILD_SCRIPT, ROOT, cluster_down, cluster_up, kubectl

STATE = Path("/tmp/aloft-kube-cluster-tests")


@pytest.fixture(scope="session")
def kube_cluster() -> Iterator[dict[str, Any]]:
    if os.geteuid() != 0:
        pytest.fail("the kube cluster tests need root (kubelet, containerd, bridge); run as root")
    # A machine that built once has the binaries cached; on a fresh one scripts/bootstrap started
    # their build in the background, and build.sh waits for it (or builds them, ~6 min, if none
    # runs). tests/conftest.py gives this wait its own timeout.
    built = subprocess.run(
        ["sh", str(BUILD_SCRIPT)], capture_output=True, text=True, timeout=1700, check=False
    )
    if built.returncode != 0:
        pytest.fail(
            f"tests/cluster/build.sh failed:\n{built.stdout[-2000:]}\n{built.stderr[-2000:]}"
        )
    facts = cluster_up(STATE)
    try:
        yield facts
    finally:
        cluster_down(STATE)


@pytest.fixture(scope="session")
def bridge_redis(
    kube_cluster: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Redis for the example app, on the pod bridge's gateway address: reachable from pods only
    through the test bridge, never from outside the machine."""
    folder = tmp_path_factory.mktemp("bridge-redis")
    port = 6390
    process = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            kube_cluster["gateway"],
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.3)
    assert process.poll() is None, "redis-server did not start on the bridge address"
    try:
        yield f"redis://{kube_cluster['gateway']}:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def shop_image(kube_cluster: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`aloft build --push` of the FastAPI example into the cluster's registry; its JSON record."""
    record = tmp_path_factory.mktemp("image") / "build.json"
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("aloft")),
            "build",
            "--project",
            str(ROOT / "examples" / "fastapi"),
            "--push",
            f"{kube_cluster['registry']}/shop:test",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    record.write_text(result.stdout)
    assert json.loads(result.stdout)["reference"].startswith(kube_cluster["registry"])
    return record


@pytest.fixture
def namespace(kube_cluster: dict[str, Any], request: pytest.FixtureRequest) -> Iterator[str]:
    digest = hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:8]
    name = f"t-{digest}-" + request.node.originalname.replace("_", "-")[5:30].strip("-").lower()
    kubectl(kube_cluster, "create", "namespace", name)
    try:
        yield name
    finally:
        kubectl(kube_cluster, "delete", "namespace", name, "--wait=false", check=False)
