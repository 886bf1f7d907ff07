"""Off-hours scale-down on the real 1.20 cluster: a window that opens and closes during the test
fires the scaler's CronJobs at its edges; the scaler's own code, with the scaler's real
ServiceAccount token, scales the service to zero and back without the HPA fighting it; and the
same token is refused on any other object.

The test cluster has no kube-proxy, so pods cannot reach the API server: the scaler Jobs start at
the right minutes, but their pods' API calls fail here. The scaling itself is therefore driven
from the test with the token those pods would mount (what they run is `aloft.runtime.scale`)."""

from __future__ import annotations

import base64
import datetime
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubekit import cluster_project, k8s_deploy, kubectl

from aloft.runtime.scale import scale

pytestmark = pytest.mark.timeout(600)

SCALER = "shop-fastapi-scaler"  # named after the project (cluster_project's shop-fastapi)


def _get(facts: dict[str, Any], namespace: str, *what: str) -> dict[str, Any]:
    out = kubectl(facts, "-n", namespace, "get", *what, "-o", "json")
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def _window(lead: float = 25.0) -> tuple[datetime.datetime, datetime.datetime, str]:
    """A one-minute window opening on the first minute at least `lead` seconds away: time for
    the deploy that adds its CronJobs, and the shortest wait a minute-grained schedule allows."""
    now = datetime.datetime.now(datetime.timezone.utc)
    opens = (now + datetime.timedelta(seconds=lead + 60)).replace(second=0, microsecond=0)
    closes = opens + datetime.timedelta(minutes=1)
    if closes.date() != opens.date():  # the window must not cross midnight
        time.sleep((closes.replace(hour=0, minute=0) - now).total_seconds() + 5)
        return _window(lead)
    text = f"{opens:%a} {opens:%H:%M}-{closes:%H:%M} UTC"
    return opens, closes, text


def _created(job: dict[str, Any]) -> datetime.datetime:
    stamp = job["metadata"]["creationTimestamp"]
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc
    )


def _ready(facts: dict[str, Any], namespace: str) -> int:
    return int(_get(facts, namespace, "deployment", "shop")["status"].get("readyReplicas") or 0)


def test_the_window_fires_its_edges_and_the_scaler_may_scale_only_this_service(
    kube_cluster: dict[str, Any],
    shop_image: Path,
    bridge_redis: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    # The service first, without a window: its rollout is the slow part of a deploy. The window
    # is chosen after it, so the test waits for the next minute or two rather than for a margin
    # wide enough to cover a rollout too.
    project = cluster_project(
        tmp_path,
        namespace,
        bridge_redis,
        fixed_replicas=False,  # an HPA, min 2: the scaler must not fight it
        controller_time_zone='"Etc/UTC"',
    )
    deployed = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image))
    assert deployed.returncode == 0, deployed.stderr[-3000:]
    assert _ready(kube_cluster, namespace) == 2
    kubectl(kube_cluster, "-n", namespace, "create", "deployment", "other", "--image=x")
    opens, closes, hours = _window()
    cluster_project(
        tmp_path,
        namespace,
        bridge_redis,
        fixed_replicas=False,
        active_hours=f'"{hours}"',
        controller_time_zone='"Etc/UTC"',
    )
    deployed = k8s_deploy(kube_cluster, project, "--image-record", str(shop_image))
    assert deployed.returncode == 0, deployed.stderr[-3000:]
    for edge in ("up", "down"):
        cronjob = _get(kube_cluster, namespace, "cronjob", f"{SCALER}-{edge}")
        assert _created(cronjob) < opens, "deployed too late for the window; widen it"

    # While the window is ahead: the scaler's identity, as its pods mount it, scales this
    # service and nothing else. (Its own pods cannot reach the API server here, so the edges
    # firing below change nothing the checks see.)
    _scale_only_this_service(kube_cluster, namespace, tmp_path)

    # The edges fire in their minutes (the controller checks every 10 s).
    deadline = (
        time.monotonic()
        + (closes - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        + 60
    )
    edges: dict[str, datetime.datetime] = {}
    while time.monotonic() < deadline and len(edges) < 2:
        for job in _get(kube_cluster, namespace, "jobs")["items"]:
            for edge in ("up", "down"):
                if job["metadata"]["name"].startswith(f"{SCALER}-{edge}-"):
                    edges.setdefault(edge, _created(job))
        time.sleep(2)
    if set(edges) != {"up", "down"}:
        why = kubectl(kube_cluster, "-n", namespace, "get", "events", check=False).stdout
        live = kubectl(kube_cluster, "-n", namespace, "get", "cronjobs", "-o", "yaml").stdout
        raise AssertionError(f"edges {edges} (window {hours}):\n{live[-2500:]}\n{why[-2500:]}")
    assert opens <= edges["up"] < opens + datetime.timedelta(seconds=60), (opens, edges)
    assert closes <= edges["down"] < closes + datetime.timedelta(seconds=60), (closes, edges)


def _scale_only_this_service(facts: dict[str, Any], namespace: str, tmp_path: Path) -> None:
    """The scaler's code with the scaler's token: zero and back without the HPA fighting it,
    and refused on every other object."""
    # The scaler's identity, as its pods mount it.
    account = _get(facts, namespace, "serviceaccount", SCALER)
    secret = _get(facts, namespace, "secret", account["secrets"][0]["name"])
    token = base64.b64decode(secret["data"]["token"]).decode()
    ca = Path(tempfile.mkdtemp(dir=tmp_path)) / "ca.crt"
    ca.write_bytes(base64.b64decode(secret["data"]["ca.crt"]))
    config = yaml.safe_load(Path(facts["kubeconfig"]).read_text())
    api = config["clusters"][0]["cluster"]["server"]

    # Closing: zero replicas, and the HPA stands aside rather than scaling back to its minimum.
    assert scale(api, token, namespace, {"shop": 0}, str(ca)) == []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _ready(facts, namespace):
        time.sleep(1)
    time.sleep(20)  # more than the HPA's 15 s sync period
    assert _get(facts, namespace, "deployment", "shop")["spec"]["replicas"] == 0
    assert _ready(facts, namespace) == 0
    hpa = _get(facts, namespace, "hpa", "shop")
    assert hpa["spec"]["minReplicas"] == 2  # untouched
    conditions = json.loads(
        hpa["metadata"].get("annotations", {}).get("autoscaling.alpha.kubernetes.io/conditions")
        or "[]"
    )
    active = [c for c in conditions if c["type"] == "ScalingActive"]
    assert active and active[0]["reason"] == "ScalingDisabled", conditions

    # Opening: the HPA's minimum again, served.
    assert scale(api, token, namespace, {"shop": 2}, str(ca)) == []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and _ready(facts, namespace) < 2:
        time.sleep(1)
    assert _ready(facts, namespace) == 2

    # Least privilege: the same token may scale nothing else and change nothing else.
    refused = scale(api, token, namespace, {"other": 0}, str(ca))
    assert len(refused) == 1 and "HTTP 403" in refused[0], refused
    as_scaler = ("--token", token, "-n", namespace)
    for attempt in (
        ("scale", "deployment", "other", "--replicas=0"),
        ("patch", "hpa", "shop", "-p", '{"spec":{"minReplicas":3}}'),
        ("patch", "deployment", "shop", "-p", '{"spec":{"paused":true}}'),
        ("delete", "deployment", "shop"),
        ("get", "secrets"),
    ):
        result = kubectl(facts, *as_scaler, *attempt, check=False)
        assert result.returncode != 0 and "forbidden" in result.stderr.lower(), (attempt, result)
    assert _get(facts, namespace, "deployment", "other")["spec"]["replicas"] == 1
