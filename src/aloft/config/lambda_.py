"""`[tool.aloft.lambda]`: the project's functions on AWS Lambda, their events and settings.

    [tool.aloft.lambda]
    architecture = "arm64"

    [tool.aloft.lambda.functions.api]            # serves the app ([tool.aloft] app)
    events = [{ type = "http_api" }]

    [tool.aloft.lambda.functions.worker]
    handler = "shop.jobs.handler"
    events = [{ type = "sqs", queue = "orders", batch_size = 10 }]

Without `functions`, one function named after the project serves the app from an HTTP API.

With `package = "image"` every function runs the image `aloft build --target lambda` pushed
(`image_uri`, best by digest), each with its handler as the image's command, instead of zips.
"""

from __future__ import annotations

import re
from typing import Literal

from aloft.config.schedule import active_hours
from aloft.config.schema import setting, table

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,39}$")
_SCHEDULE = re.compile(r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$")
_SECRET_REF = re.compile(r"^(ssm:/.+|secretsmanager:.+)$")
# registry/repository[:tag][@sha256:digest], what `aloft build --target lambda` prints.
IMAGE_URI = re.compile(
    r"^[a-z0-9.-]+(:\d+)?/[a-z0-9._/-]+(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$"
)
IMAGE_URI_HINT = (
    "use a registry reference such as "
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop@sha256:<digest>"
)

EventType = Literal["http_api", "function_url", "sqs", "schedule"]
Deployment = Literal[
    "AllAtOnce",
    "Canary10Percent5Minutes",
    "Canary10Percent10Minutes",
    "Linear10PercentEvery1Minute",
    "Linear10PercentEvery2Minutes",
]


@table
class LambdaEvent:
    """One event source of a function."""

    type: EventType = setting(doc="http_api, function_url, sqs or schedule")
    queue: str = setting(default="", doc="sqs: name of the queue aloft creates")
    batch_size: int = setting(default=10, ge=1, le=10000, doc="sqs: records per invocation")
    fifo: bool = setting(default=False, doc="sqs: a FIFO queue (ordered per group)")
    max_receive_count: int = setting(
        default=3, ge=1, le=1000, doc="sqs: deliveries before a message goes to the DLQ"
    )
    expression: str = setting(default="", doc="schedule: rate(5 minutes) or cron(...)")

    def _check(self) -> None:
        if self.type == "sqs":
            if not _NAME.match(self.queue):
                raise ValueError('an sqs event needs queue = "name" (letters, digits, -)')
            if self.fifo and self.batch_size > 10:
                raise ValueError("a FIFO queue delivers at most 10 records per batch")
        if self.type == "schedule" and not _SCHEDULE.match(self.expression):
            raise ValueError('a schedule event needs expression = "rate(5 minutes)" or "cron(...)"')


def _refs(value: dict[str, str]) -> dict[str, str]:
    for name, ref in value.items():
        if not _SECRET_REF.match(ref):
            raise ValueError(
                f"secret {name} = {ref!r}: use 'ssm:/parameter/path' or 'secretsmanager:id'"
            )
    return value


@table
class LambdaFunction:
    """One function: what it runs, its resources and its events."""

    handler: str = setting(
        default="", doc="module.function; empty serves the app named by [tool.aloft] app"
    )
    memory: int = setting(default=512, ge=128, le=10240, doc="MB (CPU scales with it)")
    timeout: int = setting(default=30, ge=1, le=900, doc="seconds per invocation")
    reserved_concurrency: int | None = setting(
        default=None, ge=0, doc="concurrency reserved for (and capped at) this function"
    )
    events: list[LambdaEvent] = setting(
        default_factory=lambda: [LambdaEvent(type="http_api")], doc="event sources"
    )
    environment: dict[str, str] = setting(default_factory=dict, doc="plain variables")
    secrets: dict[str, str] = setting(
        default_factory=dict,
        doc="NAME = 'ssm:/path' or 'secretsmanager:id', fetched at cold start",
        check=_refs,
    )
    idempotency: bool = setting(
        default=False, doc="create the DynamoDB idempotency table and grant access"
    )
    maximum_retry_attempts: int = setting(
        default=2, ge=0, le=2, doc="retries of a failed asynchronous invocation"
    )
    deployment: Deployment = setting(
        default="AllAtOnce", doc="traffic shifting to a new version (CodeDeploy)"
    )
    stream: bool = setting(
        default=False,
        doc="stream the response as the app writes it (Function URL with InvokeMode"
        " RESPONSE_STREAM); only a function_url event can stream",
    )
    snap_start: bool | None = setting(
        default=None,
        doc="SnapStart on published versions (python 3.12+, zip only); unset takes"
        " [tool.aloft.lambda] snap_start",
    )
    provisioned_concurrency: int | None = setting(
        default=None,
        ge=0,
        doc="execution environments kept initialized on the live alias, billed by the"
        " hour (outside [tool.aloft.lambda] active_hours: none); unset takes"
        " [tool.aloft.lambda] provisioned_concurrency",
    )

    def _check(self) -> None:
        # Only Function URLs have a streaming invoke mode; API Gateway buffers the whole response.
        if self.stream and any(e.type == "http_api" for e in self.events):
            raise ValueError(
                "stream = true: an http_api event cannot stream (API Gateway buffers the"
                ' response); use events = [{ type = "function_url" }] or drop stream'
            )
        if self.stream and not any(e.type == "function_url" for e in self.events):
            raise ValueError(
                'stream = true needs a function_url event; add { type = "function_url" } to events'
            )


def _active_hours(value: str) -> str:
    if value:
        active_hours(value)  # a ScheduleError is a ValueError: one line with the fix
    return value


def _python(value: str) -> str:
    # Imported here: the runtime list is read only when python is set, not at every start.
    from aloft.pythons import lambda_runtimes

    version = value.removeprefix("python")
    offered = [r.version for r in lambda_runtimes()]
    if value and version not in offered:
        raise ValueError(
            f"python = {value!r}: not a Lambda Python runtime; use one of {', '.join(offered)}"
        )
    return version


def _image_uri(value: str) -> str:
    if value and not IMAGE_URI.match(value):
        raise ValueError(f"image_uri = {value!r}: {IMAGE_URI_HINT}")
    return value


def _names(value: dict[str, LambdaFunction]) -> dict[str, LambdaFunction]:
    for name in value:
        if not _NAME.match(name):
            raise ValueError(f"function name {name!r}: letters, digits and '-', at most 40")
    return value


@table
class LambdaSettings:
    """Settings shared by every function of the project."""

    architecture: Literal["x86_64", "arm64"] = setting(
        default="x86_64", doc="x86_64 or arm64 (Graviton, about 20% cheaper)"
    )
    python: str = setting(
        default="",
        doc="the Lambda runtime's Python, 3.12 or python3.12; it must satisfy "
        "requires-python; empty: the one .python-version names when Lambda has it, else the "
        "oldest supported runtime requires-python allows",
        check=_python,
    )
    region: str = setting(default="us-east-1", doc="AWS region to deploy to")
    layer: bool = setting(default=True, doc="put dependencies in a layer shared by every function")
    bytecode_only: bool = setting(
        default=True,
        doc="ship dependencies as .pyc only: smaller zips; their traceback lines keep "
        "file and line but not the source text (the app's own code keeps it); false ships "
        "sources too (bytecode needs this machine to have the target Python)",
    )
    include: list[str] = setting(
        default_factory=list, doc="extra globs of project files for the function zip"
    )
    exclude: list[str] = setting(default_factory=list, doc="globs of project files to leave out")
    functions: dict[str, LambdaFunction] = setting(
        default_factory=dict, doc="functions by name; empty: one serving the app", check=_names
    )
    package: Literal["zip", "image"] = setting(
        default="zip",
        doc="zip: code and dependency zips on a managed runtime; image: the container "
        "image `aloft build --target lambda` makes, one for every function",
    )
    image_uri: str = setting(
        default="",
        doc="package = image: the image reference, by digest (what `aloft build "
        "--target lambda` prints); per environment, ALOFT_LAMBDA__IMAGE_URI or --image-uri",
        check=_image_uri,
    )
    snap_start: bool = setting(
        default=False,
        doc="SnapStart for every function (a function's own snap_start wins): restores"
        " a snapshot of the initialized function instead of a cold start; python 3.12+, zip only",
    )
    throttle_rate: float = setting(
        default=100.0,
        gt=0,
        doc="HTTP API: steady requests per second before 429s (caps the cost of a flood;"
        " raise it for real traffic)",
    )
    throttle_burst: int = setting(
        default=200, ge=1, doc="HTTP API: requests allowed in a burst above it"
    )
    provisioned_concurrency: int = setting(
        default=0,
        ge=0,
        doc="execution environments each function keeps initialized on its live alias"
        " (a function's own provisioned_concurrency wins); 0: none. Not with SnapStart",
    )
    active_hours: str = setting(
        default="",
        doc='when the functions serve, e.g. "Mon-Fri 08:00-20:00 Europe/Berlin"; outside'
        " them provisioned concurrency is released and schedule events are disabled; empty:"
        " always",
        check=_active_hours,
    )

    def _check(self) -> None:
        """Provisioned concurrency where Lambda would refuse it: beside SnapStart, or above the
        function's reserved concurrency (the one function serving the app when none is listed)."""
        listed = self.functions.items() if self.functions else [("", LambdaFunction())]
        for name, fn in listed:
            provisioned = self.provisioned_of(fn)
            if not provisioned:
                continue
            where = f"functions.{name}: " if self.functions else ""
            if self.snap_start_of(fn):
                raise ValueError(
                    f"{where}provisioned_concurrency = {provisioned} with snap_start: Lambda runs"
                    " a version with one or the other; drop one of them"
                )
            if fn.reserved_concurrency is not None and provisioned > fn.reserved_concurrency:
                raise ValueError(
                    f"{where}provisioned_concurrency = {provisioned} exceeds reserved_concurrency"
                    f" = {fn.reserved_concurrency}; Lambda refuses it: raise reserved_concurrency"
                    " or lower provisioned_concurrency"
                )

    def provisioned_of(self, fn: LambdaFunction) -> int:
        """The provisioned concurrency `fn` runs with inside active hours: its own, else the
        project's. The one reading of the two settings, for templates, deploy and cost."""
        own = fn.provisioned_concurrency
        return self.provisioned_concurrency if own is None else own

    def snap_start_of(self, fn: LambdaFunction) -> bool:
        """Whether `fn` runs with SnapStart: its own setting, else the project's."""
        return self.snap_start if fn.snap_start is None else fn.snap_start

    def functions_of(self, project_name: str) -> dict[str, LambdaFunction]:
        """The functions by key: those configured, else one named after the project (its
        stack_name) that serves the app. The templates, deploy and `aloft cost` all read this."""
        return self.functions or {stack_name(project_name): LambdaFunction()}


def stack_name(project_name: str) -> str:
    """The project's name as its AWS resources start with: letters, digits and '-', at most 30
    characters (room for the suffixes deploy adds within AWS's 64), "app" if nothing is left."""
    return re.sub(r"[^A-Za-z0-9-]", "-", project_name).strip("-")[:30] or "app"
