"""Off-hours scale-down renders a least-privilege scaler: two CronJobs at the window's edges, a
Role that may only scale this project's Deployments by name, the HPA's minimum restored."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubekit import by_kind, one, render_project, write_project

from aloft.exceptions import ConfigError

HOURS = """
[tool.aloft.kubernetes]
active_hours = "Mon-Fri 08:00-20:00 Europe/Berlin"

[tool.aloft.kubernetes.autoscaling]
min_replicas = 3

[tool.aloft.kubernetes.services.worker]
app = "shop.worker:app"
replicas = 4
autoscaling = { enabled = false }
"""


def test_the_window_renders_two_edges_under_a_role_scoped_to_the_projects_deployments(
    tmp_path: Path,
) -> None:
    rendered = render_project(write_project(tmp_path, HOURS), version="1.31")
    up = one(rendered, "CronJob", "shop-scaler-up")
    down = one(rendered, "CronJob", "shop-scaler-down")
    assert (up["spec"]["schedule"], up["spec"]["timeZone"]) == (
        "0 8 * * 1,2,3,4,5",
        "Europe/Berlin",
    )
    assert down["spec"]["schedule"] == "0 20 * * 1,2,3,4,5"
    up_pod = up["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    down_pod = down["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    # The HPA's minimum for the autoscaled service, the fixed count for the other.
    assert up_pod["containers"][0]["command"][-2:] == ["shop=3", "worker=4"]
    assert down_pod["containers"][0]["command"][-2:] == ["shop=0", "worker=0"]
    assert up_pod["containers"][0]["command"][:3] == ["python3", "-m", "aloft.runtime.scale"]
    assert up_pod["serviceAccountName"] == "shop-scaler"
    assert up_pod["automountServiceAccountToken"] is True
    assert "envFrom" not in up_pod["containers"][0]  # the app's config is not the scaler's
    role = one(rendered, "Role", "shop-scaler")
    assert role["rules"] == [
        {
            "apiGroups": ["apps"],
            "resources": ["deployments/scale"],
            "resourceNames": ["shop", "worker"],
            "verbs": ["get", "patch"],
        }
    ]
    binding = one(rendered, "RoleBinding", "shop-scaler")
    assert binding["roleRef"]["name"] == "shop-scaler"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "shop-scaler", "namespace": "default"}
    ]
    # The service's own identity still mounts no token.
    assert one(rendered, "ServiceAccount", "shop")["automountServiceAccountToken"] is False


def test_on_1_20_the_window_needs_the_controllers_zone(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        render_project(write_project(tmp_path, HOURS), version="1.20")
    message = str(caught.value)
    assert "active_hours" in message and 'controller_time_zone = "Europe/Berlin"' in message
    assert "\n" not in message
    zoned = HOURS.replace(
        'Europe/Berlin"', 'Europe/Berlin"\ncontroller_time_zone = "Europe/Berlin"', 1
    )
    rendered = render_project(write_project(tmp_path / "z", zoned), version="1.20")
    up = one(rendered, "CronJob", "shop-scaler-up")
    assert up["apiVersion"] == "batch/v1beta1" and "timeZone" not in up["spec"]


def test_a_bad_window_is_one_line(tmp_path: Path) -> None:
    bad = HOURS.replace("08:00-20:00", "20:00-08:00")
    with pytest.raises(ConfigError) as caught:
        render_project(write_project(tmp_path, bad))
    assert "active_hours" in str(caught.value) and "midnight" in str(caught.value)


def test_active_hours_per_environment(tmp_path: Path) -> None:
    extra = """
[tool.aloft.environments.dev.kubernetes]
active_hours = "Mon-Fri 08:00-20:00 Europe/Berlin"
"""
    project = write_project(tmp_path, extra)
    assert by_kind(render_project(project), "Role") == []
    assert len(by_kind(render_project(project, environment="dev"), "Role")) == 1


def test_the_scaler_passes_the_gate_and_the_schema(tmp_path: Path) -> None:
    from aloft.kube import schema

    rendered = render_project(write_project(tmp_path, HOURS), version="1.31")
    for obj in rendered.objects:
        if obj["metadata"]["name"].startswith("shop-scaler"):
            result = schema.validate(obj, rendered.version)
            assert result.errors == [], (obj["kind"], result.errors)
