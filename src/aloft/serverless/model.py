"""The resource model: every AWS resource a project's functions need, resolved from config once.

Templates (SAM, serverless.yml) and `aloft lambda deploy` all render from this one model, so what
deploy creates is exactly what the templates declare.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

from aloft.config import ResolvedConfig
from aloft.config.lambda_ import LambdaEvent, LambdaFunction
from aloft.exceptions import ConfigError

DEFAULT_HANDLER = "aloft.runtime.aws_lambda.entry.handler"
DEFAULT_PYTHON = "3.12"
ALIAS = "live"


@dataclass(frozen=True)
class Queue:
    name: str  # the AWS queue name (with .fifo when FIFO)
    logical_id: str
    fifo: bool
    visibility_timeout: int
    dead_letter: Queue | None = None
    max_receive_count: int = 3


@dataclass(frozen=True)
class Function:
    name: str  # the AWS function name: <project>-<function>
    key: str  # the name in [tool.aloft.lambda.functions]
    logical_id: str
    handler: str
    memory: int
    timeout: int
    reserved_concurrency: int | None
    environment: dict[str, str]
    secrets: dict[str, str]
    events: list[LambdaEvent]
    queues: dict[str, Queue]  # sqs event queue name -> queue
    on_failure: Queue  # where failed asynchronous invocations go
    maximum_retry_attempts: int
    deployment: str
    idempotency: bool

    def has(self, kind: str) -> bool:
        return any(e.type == kind for e in self.events)


@dataclass(frozen=True)
class Stack:
    name: str
    runtime: str  # python3.12
    python: str  # 3.12
    architecture: str
    region: str
    layer: bool
    tags: dict[str, str]
    functions: list[Function] = field(default_factory=list)
    idempotency_table: str = ""
    # [tool.aloft.cost] budget_usd: the same number `aloft cost` checks against.
    budget_usd: float | None = None
    budget_alerts: tuple[float, ...] = ()
    budget_emails: tuple[str, ...] = ()

    @property
    def layer_name(self) -> str:
        return f"{self.name}-dependencies"


def logical(*parts: str) -> str:
    """A CloudFormation logical id (alphanumeric) from names like `orders-api`."""
    return "".join(
        p[:1].upper() + p[1:] for part in parts for p in re.split(r"[^A-Za-z0-9]", part) if p
    )


def _python_of(resolved: ResolvedConfig) -> str:
    settings = resolved.config.lambda_
    if settings.python:
        return settings.python
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    with resolved.pyproject.open("rb") as fh:
        requires = str(tomllib.load(fh).get("project", {}).get("requires-python", ""))
    pinned = re.search(r"==\s*(3\.\d+)", requires)
    return pinned.group(1) if pinned else DEFAULT_PYTHON


def build_stack(resolved: ResolvedConfig) -> Stack:
    config = resolved.config
    settings = config.lambda_
    project = re.sub(r"[^A-Za-z0-9-]", "-", resolved.project_name).strip("-")[:30] or "app"
    functions = settings.functions or {project: LambdaFunction()}
    if not config.serve.app and any(not f.handler for f in functions.values()):
        raise ConfigError(
            f"{resolved.pyproject} [tool.aloft] app: not set, and a function in "
            '[tool.aloft.lambda.functions] has no handler; set app = "module:attr" or a handler'
        )
    python = _python_of(resolved)
    tags = {"aloft:service": config.serve.service or project, **config.tags.as_dict()}
    uses_idempotency = any(f.idempotency for f in functions.values())
    table = f"{project}-idempotency" if uses_idempotency else ""
    built: list[Function] = []
    for key, spec in functions.items():
        name = key if key.startswith(project) else f"{project}-{key}"
        environment = {"ALOFT_SERVICE": config.serve.service or project, **spec.environment}
        if not spec.handler:
            environment["ALOFT_APP"] = config.serve.app
        if spec.secrets:
            environment["ALOFT_SECRET_REFS"] = ",".join(
                f"{k}={v}" for k, v in sorted(spec.secrets.items())
            )
        if spec.idempotency:
            environment["ALOFT_IDEMPOTENCY_TABLE"] = table
        queues: dict[str, Queue] = {}
        for event in spec.events:
            if event.type != "sqs":
                continue
            suffix = ".fifo" if event.fifo else ""
            dlq = Queue(
                f"{project}-{event.queue}-dlq{suffix}",
                logical(key, event.queue, "dlq"),
                event.fifo,
                60,
            )
            # AWS's advice: visibility timeout at least six times the function timeout.
            queues[event.queue] = Queue(
                f"{project}-{event.queue}{suffix}",
                logical(key, event.queue, "queue"),
                event.fifo,
                6 * spec.timeout,
                dlq,
                event.max_receive_count,
            )
        built.append(
            Function(
                name=name,
                key=key,
                logical_id=logical(key, "function"),
                handler=spec.handler or DEFAULT_HANDLER,
                memory=spec.memory,
                timeout=spec.timeout,
                reserved_concurrency=spec.reserved_concurrency,
                environment=environment,
                secrets=dict(spec.secrets),
                events=list(spec.events),
                queues=queues,
                on_failure=Queue(f"{name}-failed", logical(key, "failed", "queue"), False, 60),
                maximum_retry_attempts=spec.maximum_retry_attempts,
                deployment=spec.deployment,
                idempotency=spec.idempotency,
            )
        )
    return Stack(
        name=project,
        runtime=f"python{python}",
        python=python,
        architecture=settings.architecture,
        region=settings.region,
        layer=settings.layer,
        tags=tags,
        functions=built,
        idempotency_table=table,
        budget_usd=config.cost.budget_usd,
        budget_alerts=tuple(config.cost.budget_alerts),
        budget_emails=tuple(config.cost.budget_emails),
    )
