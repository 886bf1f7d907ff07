"""The resource model: every AWS resource a project's functions need, resolved from config once.

Templates (SAM, serverless.yml) and `aloft lambda deploy` all render from this one model, so what
deploy creates is exactly what the templates declare.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aloft import pythons
from aloft.config import ResolvedConfig, schema
from aloft.config.consumers import queue_name
from aloft.config.functions import function_environment, idempotency_table
from aloft.config.lambda_ import (
    IMAGE_URI,
    IMAGE_URI_HINT,
    LambdaEvent,
    LambdaFunction,
    stack_name,
)
from aloft.config.schedule import ActiveHours, ScheduleError, fires_inside, to_cron
from aloft.exceptions import ConfigError
from aloft.runtime.aws_lambda.runtime_api import STREAM_ENV
from aloft.serverless import offhours, permissions
from aloft.serverless.offhours import OffHours
from aloft.serverless.permissions import Permissions

DEFAULT_HANDLER = "aloft.runtime.aws_lambda.entry.handler"
OWNER = "aloft:stack"  # the tag that says which project's deploy made a resource (tagging.py)
# An HTTP API gives up on its Lambda integration after 30 s (a hard limit): a function behind one
# defaults to a second less, so it can still answer (with its own error) before the API does.
HTTP_API_TIMEOUT = 30
HTTP_FUNCTION_TIMEOUT = HTTP_API_TIMEOUT - 1
# SnapStart supports the python3.12 runtime and newer, and zip packages only (not images).
SNAP_START_PYTHON = (3, 12)


# -- names: what deploy calls each resource, and how prune (and rollback) find it again ----------

# The alias every trigger invokes: it serves one published version (two, mid-release).
ALIAS = "live"
# The statement ids of the permissions that let a trigger invoke the alias.
URL_STATEMENT = "aloft-function-url"
HTTP_API_STATEMENT = "aloft-http-api"
SCHEDULE_STATEMENT = "aloft-schedule"


def role_name(function: str) -> str:
    """The execution role of the function named `function` (IAM allows 64 characters)."""
    return f"{function}-role"[:64]


def rule_name(function: str, index: int = 0) -> str:
    """The EventBridge rule of the function's `index`th schedule event (from 0; 64 characters at
    most): SAM, serverless.yml and deploy all name it so, and off-hours switches it by name."""
    suffix = f"-{index + 1}" if index else ""
    return f"{function}-schedule"[: 64 - len(suffix)] + suffix


def schedule_statement(rule: str) -> str:
    """The statement that lets the rule named `rule` invoke the alias: one per rule, so a
    function's second schedule may invoke it too (`-schedule-2` -> `aloft-schedule-2`)."""
    index = rule.rsplit("-", 1)[-1]
    return f"{SCHEDULE_STATEMENT}-{index}" if index.isdigit() else SCHEDULE_STATEMENT


def layer_name(project: str) -> str:
    """The dependencies layer of the project's zip functions."""
    return f"{project}-dependencies"


def alias_label(function: str) -> str:
    """How a change line names the function's alias: `alias shop-api:live`."""
    return f"alias {function}:{ALIAS}"


def next_version(published: list[str]) -> str:
    """The version Lambda numbers the next publish: versions only grow, from 1."""
    return str(max((int(v) for v in published if v != "$LATEST"), default=0) + 1)


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
    permissions: Permissions  # its execution role (permissions.py), for every target
    stream: bool = False  # Function URL with InvokeMode RESPONSE_STREAM
    snap_start: bool = False  # SnapStart on the published versions the alias serves
    # Environments kept initialized on the alias (inside active_hours, when those are set).
    provisioned_concurrency: int = 0

    def has(self, kind: str) -> bool:
        return any(e.type == kind for e in self.events)

    @property
    def rules(self) -> list[tuple[str, str]]:
        """(rule name, expression) of each schedule event, in the config's order."""
        schedules = [e.expression for e in self.events if e.type == "schedule"]
        return [(rule_name(self.name, i), expression) for i, expression in enumerate(schedules)]

    @property
    def role_logical_id(self) -> str:
        return f"{self.logical_id}Role"

    @property
    def invoke_mode(self) -> str:
        return "RESPONSE_STREAM" if self.stream else "BUFFERED"


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
    # package = "image": every function runs the one image, each with its handler as the CMD.
    package: str = "zip"
    image_uri: str = ""
    # Doctor-style findings about a valid config (printed by template and deploy, not errors).
    warnings: tuple[str, ...] = ()
    # [tool.aloft.cost] budget_usd: the same number `aloft cost` checks against.
    budget_usd: float | None = None
    budget_alerts: tuple[float, ...] = ()
    budget_emails: tuple[str, ...] = ()
    # The HTTP API's stage throttling: steady requests per second and burst.
    throttle_rate: float = 100.0
    throttle_burst: int = 200
    # [tool.aloft.lambda] active_hours: the schedules that switch things off outside them.
    off_hours: OffHours | None = None

    def throttling(self) -> dict[str, Any]:
        """The HTTP API stage's default route throttling, as CloudFormation and the API spell it:
        a flood gets 429s instead of a bill."""
        return {
            "ThrottlingBurstLimit": self.throttle_burst,
            "ThrottlingRateLimit": self.throttle_rate,
        }

    @property
    def layer_name(self) -> str:
        return layer_name(self.name)

    @property
    def image(self) -> bool:
        return self.package == "image"

    def image_reference(self) -> str:
        """The image every function runs; build_stack(require_image=True) already checked it."""
        if not self.image_uri:
            raise ConfigError(
                '[tool.aloft.lambda] image_uri: not set, and package = "image" needs it; build'
                " with `aloft build --target lambda` and pass the reference it prints"
            )
        return self.image_uri

    @property
    def uses_layer(self) -> bool:
        """An image carries its dependencies inside: only zips use the dependencies layer."""
        return self.layer and not self.image


def logical(*parts: str) -> str:
    """A CloudFormation logical id (alphanumeric) from names like `orders-api`."""
    return "".join(
        p[:1].upper() + p[1:] for part in parts for p in re.split(r"[^A-Za-z0-9]", part) if p
    )


def _python_of(resolved: ResolvedConfig) -> pythons.LambdaChoice:
    """The functions' Python: the Lambda runtime aloft.pythons picks within requires-python."""
    settings = resolved.config.lambda_
    project = pythons.project_python(resolved.pyproject)
    return pythons.lambda_runtime(project, settings.python, settings.architecture)


def build_stack(
    resolved: ResolvedConfig, image_uri: str | None = None, *, require_image: bool = False
) -> Stack:
    """The stack of `resolved`; `image_uri` (--image-uri) overrides [tool.aloft.lambda] image_uri.

    `require_image` is for what renders or deploys functions: with package = "image" they need
    the image's reference, while the image build itself (which reads the handlers) does not.
    """
    config = resolved.config
    settings = config.lambda_
    if image_uri is not None and not IMAGE_URI.match(image_uri):
        raise ConfigError(f"--image-uri {image_uri!r}: {IMAGE_URI_HINT}")
    if image_uri is not None and settings.package != "image":
        raise ConfigError(
            f"--image-uri: {resolved.pyproject} [tool.aloft.lambda] package is"
            f' "{settings.package}"; set package = "image" to run the functions from an image'
        )
    image = image_uri or settings.image_uri
    if require_image and settings.package == "image" and not image:
        raise ConfigError(
            f'{resolved.pyproject} [tool.aloft.lambda] image_uri: not set, and package = "image"'
            " needs it; build with `aloft build --target lambda` and pass the reference it prints"
            " (--image-uri REF, ALOFT_LAMBDA__IMAGE_URI or image_uri)"
        )
    project = stack_name(resolved.project_name)
    functions = settings.functions_of(resolved.project_name)
    if not config.serve.app and any(not f.handler for f in functions.values()):
        raise ConfigError(
            f"{resolved.pyproject} [tool.aloft] app: not set, and a function in "
            '[tool.aloft.lambda.functions] has no handler; set app = "module:attr" or a handler'
        )
    choice = _python_of(resolved)
    python = choice.version
    tags = {
        "aloft:service": config.serve.service or project,
        OWNER: project,
        **config.tags.as_dict(),
    }
    warnings: list[str] = []
    if choice.note and settings.package != "image":
        warnings.append(f"runtime {choice.identifier}: {choice.note}")
    if settings.package != "image" and image:
        warnings.append(
            f'[tool.aloft.lambda] image_uri is set but package = "{settings.package}": the'
            ' functions deploy from zips; set package = "image" to run the image'
        )
    if settings.package == "image" and image and "@sha256:" not in image:
        warnings.append(
            f"[tool.aloft.lambda] image_uri {image}: a tag, not a digest; a redeploy cannot tell"
            " a new image pushed under the same tag, so pass the @sha256: reference"
            " `aloft build --target lambda` prints"
        )
    uses_idempotency = any(f.idempotency for f in functions.values())
    table = idempotency_table(project) if uses_idempotency else ""
    built: list[Function] = []
    # [tool.aloft] settings reach a function as they reach a container (one builder), less the
    # server's own (host, port, workers, ...), which mean nothing on Lambda.
    serve_env = config.runtime_env(server=False)
    serve_env["ALOFT_SERVICE"] = config.serve.service or project
    for key, spec in functions.items():
        name = key if key.startswith(project) else f"{project}-{key}"
        timeout = _timeout(spec, key, resolved, warnings)
        environment = {**serve_env, **function_environment(project, spec)}
        if spec.handler:  # ALOFT_APP names what the default handler serves; this one has its own
            environment.pop("ALOFT_APP", None)
        if spec.stream:  # the runtime client answers in the Runtime API's streaming mode
            environment[STREAM_ENV] = "true"
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
                queue_name(resolved.project_name, event.queue, event.fifo),
                logical(key, event.queue, "queue"),
                event.fifo,
                6 * timeout,
                dlq,
                event.max_receive_count,
            )
        on_failure = Queue(f"{name}-failed", logical(key, "failed", "queue"), False, 60)
        built.append(
            Function(
                name=name,
                key=key,
                logical_id=logical(key, "function"),
                handler=spec.handler or DEFAULT_HANDLER,
                memory=spec.memory,
                timeout=timeout,
                reserved_concurrency=spec.reserved_concurrency,
                environment=environment,
                secrets=dict(spec.secrets),
                events=list(spec.events),
                queues=queues,
                on_failure=on_failure,
                maximum_retry_attempts=spec.maximum_retry_attempts,
                deployment=spec.deployment,
                idempotency=spec.idempotency,
                permissions=permissions.build(
                    on_failure_queue=on_failure.name,
                    event_queues=[q.name for q in queues.values()],
                    idempotency_table=table if spec.idempotency else "",
                    secrets=list(spec.secrets.values()),
                ),
                stream=spec.stream,
                snap_start=_snap_start(spec, key, python, resolved),
                provisioned_concurrency=settings.provisioned_of(spec),
            )
        )
    off_hours = offhours.build(
        project,
        settings.active_hours,
        provisioned={fn.name: fn.provisioned_concurrency for fn in built},
        rules=[rule for fn in built for rule, _ in fn.rules],
    )
    if off_hours is not None:
        warnings += _never_inside(functions, off_hours.hours, resolved)
    if settings.active_hours and off_hours is None:
        warnings.append(
            f"{resolved.pyproject} [tool.aloft.lambda] active_hours: no function has"
            " provisioned_concurrency or a schedule event, so nothing is switched off outside"
            " the hours (on-demand Lambda costs nothing idle)"
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
        package=settings.package,
        image_uri=image if settings.package == "image" else "",
        warnings=tuple(warnings),
        throttle_rate=settings.throttle_rate,
        throttle_burst=settings.throttle_burst,
        off_hours=off_hours,
    )


def _never_inside(
    functions: dict[str, LambdaFunction], hours: ActiveHours, resolved: ResolvedConfig
) -> list[str]:
    """A schedule event whose rule off-hours disables outside the window, and which fires only
    outside it, would never run: each one is named."""
    found = []
    for key, spec in functions.items():
        for event in spec.events:
            if event.type != "schedule":
                continue
            try:
                cron = to_cron(event.expression)
            except ScheduleError:  # L, W, # or a year: no cron line to check it with
                continue
            if not fires_inside(cron, hours):
                found.append(
                    f"{resolved.pyproject} [tool.aloft.lambda.functions.{key}] schedule"
                    f" {event.expression!r} fires only outside active_hours = {hours.text!r},"
                    " while off-hours keeps its rule disabled: it would never run; move it"
                    " inside the hours, or drop active_hours where it must run"
                )
    return found


def _snap_start(spec: LambdaFunction, key: str, python: str, resolved: ResolvedConfig) -> bool:
    """Whether the function restores from snapshots; an error where Lambda would refuse it."""
    settings = resolved.config.lambda_
    own = spec.snap_start is not None
    enabled = settings.snap_start_of(spec)
    if not enabled:
        return False
    where = (
        f"{resolved.pyproject} [tool.aloft.lambda.functions.{key}] snap_start"
        if own
        else f"{resolved.pyproject} [tool.aloft.lambda] snap_start"
    )
    if settings.package == "image":
        raise ConfigError(
            f'{where}: SnapStart does not support container images (package = "image");'
            ' use package = "zip" or drop snap_start'
        )
    if tuple(int(part) for part in python.split(".")) < SNAP_START_PYTHON:
        raise ConfigError(
            f"{where}: SnapStart needs the python3.12 runtime or newer, and this project targets"
            f' python{python}; set [tool.aloft.lambda] python = "3.12" (or requires-python)'
            " or drop snap_start"
        )
    return True


def _timeout(spec: LambdaFunction, key: str, resolved: ResolvedConfig, warnings: list[str]) -> int:
    """The function's timeout: a second under the HTTP API's own unless the user chose one."""
    behind_api = any(e.type == "http_api" for e in spec.events)
    if not behind_api:
        return spec.timeout
    if "timeout" not in schema.given(spec):
        return HTTP_FUNCTION_TIMEOUT
    if spec.timeout > HTTP_API_TIMEOUT:
        warnings.append(
            f"{resolved.pyproject} [tool.aloft.lambda.functions.{key}] timeout = {spec.timeout}:"
            f" its HTTP API gives up after {HTTP_API_TIMEOUT} s whatever the function does; use"
            f" at most {HTTP_FUNCTION_TIMEOUT}, or move the long work to an sqs event"
        )
    return spec.timeout
