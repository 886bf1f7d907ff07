"""Scheduled functions render as CronJobs: the same handler, the exact cron line, the zone the
target cluster can carry, and bounded defaults; what cannot be expressed is one ConfigError."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubekit import by_kind, one, render_project, write_project

from aloft.exceptions import ConfigError

SCHEDULED = """
[tool.aloft.lambda.functions.api]
events = [{ type = "http_api" }]

[tool.aloft.lambda.functions.nightly]
handler = "shop.jobs.handler"
timeout = 120
maximum_retry_attempts = 1
events = [{ type = "schedule", expression = "cron(30 2 ? * MON-FRI *)" }]

[tool.aloft.lambda.functions.tick]
handler = "shop.jobs.handler"
events = [{ type = "schedule", expression = "rate(5 minutes)" }]
"""


def test_a_scheduled_function_is_a_cronjob_running_its_handler(tmp_path: Path) -> None:
    rendered = render_project(write_project(tmp_path, SCHEDULED), version="1.31")
    assert len(by_kind(rendered, "CronJob")) == 2
    job = one(rendered, "CronJob", "shop-nightly")
    assert job["apiVersion"] == "batch/v1"
    spec = job["spec"]
    assert spec["schedule"] == "30 2 * * 1-5"
    assert spec["timeZone"] == "Etc/UTC"  # EventBridge rules run in UTC
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] == 120
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 3)
    inner = spec["jobTemplate"]["spec"]
    assert inner["backoffLimit"] == 1  # the function's maximum_retry_attempts
    assert inner["activeDeadlineSeconds"] == 120  # the function's timeout
    pod = inner["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    (container,) = pod["containers"]
    assert container["command"] == [
        "python3",
        "-m",
        "aloft.runtime.scheduled",
        "shop.jobs.handler",
        "--rule",
        "nightly-schedule",
        "--timeout",
        "120",
    ]
    deployment = one(rendered, "Deployment")
    # Same image, config and identity as the service's pods; no probes, no ports.
    assert container["image"] == deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    assert (
        container["envFrom"] == deployment["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    )
    assert "readinessProbe" not in container and "ports" not in container
    labels = inner["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/component"] == "schedule"  # the Service must not select it
    assert one(rendered, "CronJob", "shop-tick")["spec"]["schedule"] == "*/5 * * * *"


def test_cronjob_settings_come_from_config(tmp_path: Path) -> None:
    extra = (
        SCHEDULED
        + """
[tool.aloft.kubernetes.cron_jobs]
concurrency_policy = "Replace"
starting_deadline = 30
active_deadline = 60
successful_history = 1
failed_history = 5
"""
    )
    spec = one(render_project(write_project(tmp_path, extra)), "CronJob", "shop-nightly")["spec"]
    assert spec["concurrencyPolicy"] == "Replace"
    assert spec["startingDeadlineSeconds"] == 30
    assert spec["jobTemplate"]["spec"]["activeDeadlineSeconds"] == 60
    assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (1, 5)


def test_before_1_25_a_zone_bound_schedule_needs_the_controllers_zone(tmp_path: Path) -> None:
    project = write_project(tmp_path, SCHEDULED)
    with pytest.raises(ConfigError) as caught:
        render_project(project, version="1.20")
    message = str(caught.value)
    assert "[tool.aloft.lambda.functions.nightly]" in message
    assert 'controller_time_zone = "Etc/UTC"' in message
    assert "\n" not in message
    fixed = write_project(
        tmp_path / "utc",
        SCHEDULED.replace(
            "[tool.aloft.lambda.functions.api]",
            '[tool.aloft.kubernetes]\ncontroller_time_zone = "UTC"\n\n'
            "[tool.aloft.lambda.functions.api]",
        ),
    )
    rendered = render_project(fixed, version="1.20")
    job = one(rendered, "CronJob", "shop-nightly")
    assert job["apiVersion"] == "batch/v1beta1"
    assert "timeZone" not in job["spec"]
    assert job["spec"]["schedule"] == "30 2 * * 1-5"


def test_before_1_25_a_zone_free_schedule_needs_nothing(tmp_path: Path) -> None:
    every = SCHEDULED.replace("cron(30 2 ? * MON-FRI *)", "rate(1 minute)")
    rendered = render_project(write_project(tmp_path, every), version="1.20")
    job = one(rendered, "CronJob", "shop-nightly")
    assert job["spec"]["schedule"] == "* * * * *"
    assert "timeZone" not in job["spec"]


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("rate(90 minutes)", "90 minutes divides neither"),
        ("cron(0 12 L * ? *)", "uses 'L'"),
        ("cron(0 12 * * ? 2030)", "year '2030'"),
    ],
)
def test_an_inexpressible_schedule_is_one_line_naming_the_function(
    tmp_path: Path, expression: str, says: str
) -> None:
    project = write_project(tmp_path, SCHEDULED.replace("rate(5 minutes)", expression))
    with pytest.raises(ConfigError) as caught:
        render_project(project)
    message = str(caught.value)
    assert "pyproject.toml [tool.aloft.lambda.functions.tick]" in message
    assert says in message and "\n" not in message


def test_no_schedule_no_cronjob(tmp_path: Path) -> None:
    assert by_kind(render_project(write_project(tmp_path)), "CronJob") == []


@pytest.mark.parametrize("version", ["1.20", "1.25", "1.31"])
def test_the_cronjob_is_valid_against_the_targets_schema(tmp_path: Path, version: str) -> None:
    from aloft.kube import schema

    extra = SCHEDULED + '\n[tool.aloft.kubernetes]\ncontroller_time_zone = "Etc/UTC"\n'
    rendered = render_project(write_project(tmp_path, extra), version=version)
    for job in by_kind(rendered, "CronJob"):
        result = schema.validate(job, rendered.version)
        assert result.served, (version, job["apiVersion"])
        assert result.errors == [], result.errors
        assert ("timeZone" in job["spec"]) is (version != "1.20")


def test_the_jobs_it_creates_are_not_in_the_prune_inventory(tmp_path: Path) -> None:
    from aloft.kube.manifest import INVENTORY_LABEL

    job = one(render_project(write_project(tmp_path, SCHEDULED)), "CronJob", "shop-tick")
    assert job["metadata"]["labels"][INVENTORY_LABEL] == "shop"  # the CronJob itself is pruned
    template = job["spec"]["jobTemplate"]
    assert INVENTORY_LABEL not in template["metadata"]["labels"]
    assert INVENTORY_LABEL not in template["spec"]["template"]["metadata"]["labels"]
