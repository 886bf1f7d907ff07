"""`aloft lambda deploy`: create or update exactly what the template declares, with boto3.

Every step first reads what exists and changes only what differs, so re-running with no change
changes nothing. A new version is published only when code or configuration changed; the `live`
alias then moves to it at once, or in steps guarded by the function's error metric, rolling
back to the previous version when errors appear. Tags follow [tool.aloft.tags] on every resource
that takes them, and what the config no longer declares is pruned (see prune.py).

The steps, one module each, all taking the one `DeployRun` (run.py: plan or apply):
resources (queues, table, layer) -> iam (each function's role) -> functions (code, config,
concurrency, invoke config) -> release (version, alias, gradual shift) -> provisioned
concurrency on the alias -> triggers (mappings, URL, HTTP API, schedule) -> off-hours schedules
(offhours.py) -> prune.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aloft.exceptions import OperationFailed
from aloft.serverless.deploy import functions, iam, offhours, release, resources, triggers
from aloft.serverless.deploy.run import DeployRun, LambdaDeployResult
from aloft.serverless.model import Stack
from aloft.serverless.prune import Pruner

__all__ = ["DeployRun", "LambdaDeployResult", "deploy"]


def run_steps(deployment: DeployRun) -> LambdaDeployResult:
    """Every step in order: what a function uses exists before the function, and what invokes
    it comes after."""
    stack = deployment.stack
    for fn in stack.functions:
        resources.queue(deployment, fn.on_failure)
        for queue in fn.queues.values():
            if queue.dead_letter is not None:
                resources.queue(deployment, queue.dead_letter)
            resources.queue(deployment, queue)
    if stack.idempotency_table:
        resources.table(deployment)
    layer = resources.layer(deployment)
    for fn in stack.functions:
        role = iam.role(deployment, fn)
        dirty = functions.function(deployment, fn, role, layer)
        functions.concurrency(deployment, fn)
        functions.invoke_config(deployment, fn)
        release.release(deployment, fn, dirty)
        functions.provisioned(deployment, fn)  # on the alias release has just moved
        triggers.events(deployment, fn)
    # After the rules and aliases they switch exist.
    offhours.off_hours(deployment)
    # After the new state is in place, so nothing still in use is deleted before its successor.
    Pruner(deployment).run()
    return deployment.result


def deploy(
    stack: Stack, function_zip: Path | None, layer_zip: Path | None = None, **kwargs: Any
) -> LambdaDeployResult:
    """Deploy `stack`; `prune=False` keeps what the config dropped, `plan=True` changes nothing.

    An image-packaged stack takes no zips (`function_zip=None`): its functions run
    `stack.image_uri`."""
    try:
        return run_steps(DeployRun(stack, function_zip, layer_zip, **kwargs))
    except OperationFailed:
        raise
    except Exception as exc:
        if type(exc).__module__.startswith(("botocore", "boto3")):
            raise OperationFailed(f"deploy failed: {exc}") from None
        raise
