"""Releasing a function: publish a version when it changed, then move the `live` alias to it.

At once, or in steps guarded by the new version's error metric (the function's `deployment`),
rolling back to the previous version when errors appear. The small readers and the alias move
(`published_versions`, `live_alias`, `point_alias`) serve a rollback too.

Lambda keeps no history of an alias, so the alias carries its own: its Description lists the
versions it served before, newest last ("aloft: served before 3 5"). Deploy appends the version it
leaves once the new one has taken all the traffic; a gradual release that deploy rolled back adds
nothing, so `aloft lambda rollback` never returns to a version that failed its release.
"""

from __future__ import annotations

import time
from typing import Any

from aloft.serverless.deploy.run import DeployRun
from aloft.serverless.model import ALIAS, Function, alias_label, next_version

# Gradual traffic shifting: share of traffic on the new version at each step.
STEPS = {
    "Canary10Percent5Minutes": [0.1],
    "Canary10Percent10Minutes": [0.1],
    "Linear10PercentEvery1Minute": [0.1 * i for i in range(1, 10)],
    "Linear10PercentEvery2Minutes": [0.1 * i for i in range(1, 10)],
}


def published_versions(lam: Any, function: str) -> list[str]:
    """The function's published versions (not $LATEST), oldest first, as Lambda lists them."""
    return [
        str(v["Version"])
        for v in lam.list_versions_by_function(FunctionName=function)["Versions"]
        if v["Version"] != "$LATEST"
    ]


def live_alias(lam: Any, function: str) -> dict[str, Any] | None:
    """The function's `live` alias (FunctionVersion, RoutingConfig, AliasArn), or None."""
    try:
        return dict(lam.get_alias(FunctionName=function, Name=ALIAS))
    except lam.exceptions.ResourceNotFoundException:
        return None


HISTORY = "aloft: served before"
# Lambda's limit on an alias Description; the oldest entries give way first.
DESCRIPTION_MAX = 256


def served_before(alias: dict[str, Any]) -> list[str] | None:
    """The versions the alias served before its current one, newest last; None when its
    Description is not aloft's (an alias made before aloft kept history, or by hand)."""
    text = str(alias.get("Description") or "")
    if not text.startswith(HISTORY):
        return None
    return [part for part in text[len(HISTORY) :].split() if part.isdigit()]


def history_description(history: list[str]) -> str:
    """The Description recording `history`, the oldest entries dropped to fit Lambda's limit."""
    kept = list(history)
    while len(" ".join([HISTORY, *kept])) > DESCRIPTION_MAX:
        kept.pop(0)
    return " ".join([HISTORY, *kept])


def point_alias(
    lam: Any,
    function: str,
    version: str,
    weights: dict[str, float] | None = None,
    *,
    history: list[str] | None = None,
) -> None:
    """Point `live` at `version`, with `weights` (version -> share) on another while releasing;
    `history` (the versions served before, newest last) replaces the recorded one when given."""
    extra = {} if history is None else {"Description": history_description(history)}
    lam.update_alias(
        FunctionName=function,
        Name=ALIAS,
        FunctionVersion=version,
        RoutingConfig={"AdditionalVersionWeights": weights or {}},
        **extra,
    )


def release(run: DeployRun, fn: Function, dirty: bool) -> None:
    """Publish and shift traffic when `dirty`; record the version the alias then serves."""
    lam = run.client("lambda")
    versions: list[str] = []
    alias = None
    if fn.name not in run.absent:
        versions = published_versions(lam, fn.name)
        alias = live_alias(lam, fn.name)
    if not dirty and versions and alias is not None:
        run.result.versions[fn.name] = alias["FunctionVersion"]
        return
    if run.plan:
        new = next_version(versions)
    else:
        new = str(lam.publish_version(FunctionName=fn.name)["Version"])
    run.result.record(
        "update", f"function {fn.name}", f"function {fn.name} version {new} published"
    )
    aliased = alias_label(fn.name)
    if alias is None:
        run.apply(
            "create",
            aliased,
            f"{aliased} -> {new}",
            lambda: lam.create_alias(
                FunctionName=fn.name,
                Name=ALIAS,
                FunctionVersion=new,
                Description=history_description([]),
            ),
        )
        run.result.versions[fn.name] = new
        return
    old = str(alias["FunctionVersion"])
    if old == new:
        run.result.versions[fn.name] = new
        return
    if run.plan:
        steps = f" ({fn.deployment})" if fn.deployment in STEPS else ""
        run.apply("update", aliased, f"{aliased} -> {new}{steps}", lambda: None)
        run.result.versions[fn.name] = old
        return
    for weight in STEPS.get(fn.deployment, []):
        point_alias(lam, fn.name, old, {new: round(weight, 2)})
        run.sleep(run.step_seconds)
        if errors(run, fn, new) > 0:
            point_alias(lam, fn.name, old)
            run.result.record(
                "update", aliased, f"{aliased} rolled back to {old} (errors on {new})"
            )
            run.result.rolled_back.append(fn.name)
            run.result.versions[fn.name] = old
            return
    history = [*(served_before(alias) or []), old]
    run.apply(
        "update",
        aliased,
        f"{aliased} -> {new}",
        lambda: point_alias(lam, fn.name, new, history=history),
    )
    run.result.versions[fn.name] = new


def errors(run: DeployRun, fn: Function, version: str) -> float:
    """The new version's Errors metric over the last step: the health check."""
    now = time.time()
    stats = run.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[
            {"Name": "FunctionName", "Value": fn.name},
            {"Name": "ExecutedVersion", "Value": version},
        ],
        StartTime=now - max(run.step_seconds, 60) - 60,
        EndTime=now + 60,
        Period=60,
        Statistics=["Sum"],
    )
    return float(sum(point.get("Sum", 0) for point in stats.get("Datapoints", [])))
