"""`aloft logs --target k8s` against the real test cluster: every pod of the service, merged by
the kubelet's timestamps, filtered by request id and level, and followed as pods write."""

from __future__ import annotations

import base64
import contextlib
import datetime
import itertools
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubekit import aloft, cluster_project, k8s_deploy, kubectl

from testkit import ctrl_c_reaches

pytestmark = pytest.mark.timeout(600)


def _pod_ips(facts: dict[str, Any], namespace: str) -> dict[str, str]:
    out = kubectl(
        facts, "-n", namespace, "get", "pods", "-l", "app.kubernetes.io/component=server",
        "-o", "json",
    )  # fmt: skip
    return {
        p["metadata"]["name"]: p["status"]["podIP"]
        for p in json.loads(out.stdout)["items"]
        if not p["metadata"].get("deletionTimestamp")
    }


def _logs(facts: dict[str, Any], project: Path, *args: str) -> Any:
    return aloft("logs", "--project", str(project), "--kubeconfig", facts["kubeconfig"], *args)


def _records(result: Any) -> list[dict[str, Any]]:
    assert result.returncode == 0, result.stdout + result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_logs_of_every_pod_merged_by_time_and_one_requests_story(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    project = cluster_project(tmp_path, namespace, bridge_redis)
    nothing = _logs(kube_cluster, project)
    assert nothing.returncode == 1
    assert nothing.stderr.startswith(
        f"aloft: error: no started pods of shop in {namespace}; deploy first"
    )
    assert nothing.stderr.count("\n") == 1
    deployed = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image))
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    pods = _pod_ips(kube_cluster, namespace)
    assert len(pods) == 2
    for index, ip in enumerate(pods.values()):
        reply = httpx.get(f"http://{ip}:8000/", headers={"X-Request-ID": f"story-{index}"})
        assert reply.status_code == 200
    time.sleep(1.0)

    records = _records(_logs(kube_cluster, project, "--target", "k8s", "-o", "json"))
    assert {r["pod"] for r in records} == set(pods)
    starting = [r for r in records if r.get("message") == "starting"]
    assert {r["pod"] for r in starting} == set(pods)
    # Both pods' lines, interleaved by time: aloft merges by the kubelet's timestamp, taken when
    # the line reached it, so the app's own `time` may trail its neighbour's by a few ms.
    times = [_epoch(r["time"]) for r in records if "time" in r]
    late = [(a, b) for a, b in itertools.pairwise(times) if b < a - 0.25]
    assert not late, late

    story = _records(
        _logs(kube_cluster, project, "--request-id", "story-1", "-o", "json")
    )  # the project configures only Kubernetes: the target follows
    assert story and {r["request_id"] for r in story} == {"story-1"}
    assert {r["pod"] for r in story} == {list(pods)[1]}
    assert any(r["logger"] == "aloft.access" and r["status"] == 200 for r in story)

    pretty = _logs(kube_cluster, project, "--request-id", "story-0")
    assert pretty.returncode == 0, pretty.stderr
    first_pod = next(iter(pods))
    assert pretty.stdout.startswith(f"{first_pod} | ")
    assert "INFO" in pretty.stdout and "request_id=story-0" in pretty.stdout

    assert any(r.get("level") == "info" for r in records)
    warnings = _records(_logs(kube_cluster, project, "--level", "warning", "-o", "json"))
    assert all(r.get("level") in ("warning", "error", "critical") for r in warnings)
    recent = _records(_logs(kube_cluster, project, "--since", "1s", "-o", "json"))
    assert not any(r.get("message") == "starting" for r in recent)

    # An account that may list the pods but not read their logs: one line and exit 1, when
    # following too (a refused stream is not an empty one), and the process ends cleanly
    # (a reader thread still inside TLS at exit once aborted it: -6); a few times, as that raced.
    reader = _reader_kubeconfig(kube_cluster, namespace, tmp_path)
    for extra in ([], ["--follow"], ["--follow"], ["--follow"], ["--follow"]):
        refused = aloft("logs", "--project", str(project), "--kubeconfig", str(reader), *extra)
        assert refused.returncode == 1, (extra, refused.stdout, refused.stderr)
        assert refused.stderr.startswith("aloft: error: log of pod shop-"), refused.stderr
        assert "forbidden" in refused.stderr and refused.stderr.count("\n") == 1


def _reader_kubeconfig(facts: dict[str, Any], namespace: str, folder: Path) -> Path:
    """A kubeconfig for a ServiceAccount allowed to get and list pods, not pods/log."""
    objects = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "reader"}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "pod-lister"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "reader-lists-pods"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "pod-lister",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": namespace}],
        },
    ]
    listing = folder / "reader.json"
    listing.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    kubectl(facts, "-n", namespace, "apply", "-f", str(listing))
    secret = ""
    deadline = time.monotonic() + 30
    while not secret and time.monotonic() < deadline:
        secret = kubectl(
            facts, "-n", namespace, "get", "sa", "reader", "-o", "jsonpath={.secrets[0].name}"
        ).stdout
        time.sleep(0.2)
    assert secret, "the token controller gave the ServiceAccount no token"
    encoded = kubectl(
        facts, "-n", namespace, "get", "secret", secret, "-o", "jsonpath={.data.token}"
    ).stdout
    config = json.loads(Path(facts["kubeconfig"]).read_text())
    for user in config["users"]:
        user["user"] = {"token": base64.b64decode(encoded).decode()}
    path = folder / "reader.kubeconfig"
    path.write_text(json.dumps(config))
    return path


def test_follow_shows_new_lines_from_every_pod_and_pods_a_rollout_starts(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    project = cluster_project(tmp_path, namespace, bridge_redis)
    deployed = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image))
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    pods = _pod_ips(kube_cluster, namespace)
    process = subprocess.Popen(
        ctrl_c_reaches([
            str(Path(sys.executable).with_name("aloft")),
            "logs", "--project", str(project), "--kubeconfig", kube_cluster["kubeconfig"],
            "--follow", "--since", "2s", "-o", "json",
        ]),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    records: queue.Queue[dict[str, Any]] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            records.put(json.loads(line))

    threading.Thread(target=read, daemon=True).start()

    def wait_for(done: Any, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not done() and time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                record = records.get(timeout=0.5)
                seen.append(record)

    seen: list[dict[str, Any]] = []
    try:
        time.sleep(3.0)  # the streams are open
        for name, ip in pods.items():
            httpx.get(f"http://{ip}:8000/", headers={"X-Request-ID": f"follow-{name}"})
        wanted = {f"follow-{name}": name for name in pods}

        def both_requests() -> bool:
            return {
                r.get("request_id"): r["pod"] for r in seen if r.get("request_id") in wanted
            } == (wanted)

        wait_for(both_requests, 30)
        assert both_requests(), seen[-10:]

        # A rollout replaces the pods: the new ones join the stream, from their first line.
        (project / "pyproject.toml").write_text(
            (project / "pyproject.toml").read_text().replace("env = {", 'env = { GREETING = "v2",')
        )
        rolled = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image))
        assert rolled.returncode == 0, rolled.stdout + rolled.stderr
        new_pods = set(_pod_ips(kube_cluster, namespace)) - set(pods)
        assert len(new_pods) == 2

        def new_pods_started() -> bool:
            return {r["pod"] for r in seen if r.get("message") == "starting"} >= new_pods

        wait_for(new_pods_started, 30)
        assert new_pods_started(), seen[-10:]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
    assert process.returncode == 130


def _epoch(stamp: str) -> float:
    """The runtime's RFC 3339 UTC time (milliseconds) as epoch seconds."""
    return datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
