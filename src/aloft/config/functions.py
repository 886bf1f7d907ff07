"""What a function's handler finds in its environment, on whichever target runs it.

The same handler runs as a Lambda function, as a queue consumer's pods and as a CronJob's pods,
and on each it must see the same variables: the function's own `environment`, its `secrets` by
reference (ALOFT_SECRET_REFS, which the runtime fetches at start on every target) and, with
`idempotency = true`, the name of the project's idempotency table. This module is the one builder
of that environment; a target adds only what is its own (the server's settings, AWS_REGION).
"""

from __future__ import annotations

from aloft.config.lambda_ import LambdaFunction
from aloft.runtime.aws_lambda.secrets import REFS_VAR

IDEMPOTENCY_TABLE_VAR = "ALOFT_IDEMPOTENCY_TABLE"


def idempotency_table(stack: str) -> str:
    """The DynamoDB idempotency table of the project's functions (`stack` is its stack name),
    whether or not one is in use now: deploy creates it, prune deletes it by this name."""
    return f"{stack}-idempotency"


def function_environment(stack: str, spec: LambdaFunction) -> dict[str, str]:
    """The variables `spec`'s handler sees on every target, beyond the service-wide ones."""
    environment = dict(spec.environment)
    if spec.secrets:
        environment[REFS_VAR] = ",".join(f"{k}={v}" for k, v in sorted(spec.secrets.items()))
    if spec.idempotency:
        environment[IDEMPOTENCY_TABLE_VAR] = idempotency_table(stack)
    return environment
