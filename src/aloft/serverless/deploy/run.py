"""One deploy run: the clients, the account, and the one way anything changes.

Every change goes through `DeployRun.apply`, so a plan (`--plan`) walks the same code and records
what it would do instead of doing it. The steps (iam, resources, functions, release, triggers) are
functions that take the run; what one step makes and a later one needs (queue ARNs, the table's
ARN, functions a plan would create) is kept on it.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from aloft.exceptions import OperationFailed
from aloft.serverless.model import Stack
from aloft.serverless.tagging import TAGGING, deploy_tags, tag_changes

T = TypeVar("T")
Action = Literal["create", "update", "delete", "orphan"]
SERVICES = (
    "iam",
    "sqs",
    "dynamodb",
    "lambda",
    "apigatewayv2",
    "events",
    "scheduler",
    "cloudwatch",
    "sts",
)


@dataclass
class LambdaDeployResult:
    changes: list[str] = field(default_factory=list)  # one line per change, in order
    versions: dict[str, str] = field(default_factory=dict)  # function -> version the alias serves
    urls: dict[str, str] = field(default_factory=dict)
    rolled_back: list[str] = field(default_factory=list)
    # Resources as "<kind> <name>" (e.g. "queue shop-orders"), each listed once.
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)  # no longer declared, but left in place
    plan: bool = False  # nothing was changed: the lists say what a deploy would do
    # [tool.aloft.lambda] active_hours, and whether the deploy ran inside them.
    active_hours: str = ""
    inside_hours: bool = True

    def record(self, action: Action, resource: str, line: str) -> None:
        self.changes.append(line)
        listed = {
            "create": self.created,
            "update": self.updated,
            "delete": self.deleted,
            "orphan": self.orphaned,
        }[action]
        if resource not in listed and not (action == "update" and resource in self.created):
            listed.append(resource)

    def as_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "changes": self.changes,
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "orphaned": self.orphaned,
            "versions": self.versions,
            "urls": self.urls,
            "rolled_back": self.rolled_back,
            "off_hours": {"active_hours": self.active_hours, "inside": self.inside_hours}
            if self.active_hours
            else None,
        }

    def report(self) -> str:
        """What `aloft lambda deploy` prints: the changes, the URLs, the count of each kind."""
        lines = ["plan: nothing was changed; a deploy would do this:"] if self.plan else []
        lines += [f"  {change}" for change in self.changes or ["no changes"]]
        lines += [f"{name}: {url}" for name, url in sorted(self.urls.items())]
        counts = [
            f"{len(items)} {label}"
            for label, items in (
                ("to create" if self.plan else "created", self.created),
                ("to update" if self.plan else "updated", self.updated),
                ("to delete" if self.plan else "deleted", self.deleted),
                ("orphaned", self.orphaned),
            )
            if items
        ]
        if counts:
            lines.append("resources: " + ", ".join(counts))
        if self.active_hours:
            state = (
                "inside them: provisioned concurrency and schedules on"
                if self.inside_hours
                else "outside them: provisioned concurrency off and schedules disabled until"
                " they open"
            )
            lines.append(f"active hours {self.active_hours}: {state}")
        return "\n".join(lines)


def boto3_module() -> Any:
    """boto3, imported when a deploy needs it: the tool installs it only with the aws extra."""
    try:
        import boto3  # type: ignore[import-untyped]
    except ImportError:
        raise OperationFailed(
            "aloft lambda deploy needs boto3: install the tool with the aws extra "
            "(uv tool install 'aloft-cli[aws]', or pipx install 'aloft-cli[aws]')"
        ) from None
    return boto3


class DeployRun:
    """The state of one deploy of `stack`: what is read, what changes, and what was done."""

    def __init__(
        self,
        stack: Stack,
        function_zip: Path | None,
        layer_zip: Path | None = None,
        *,
        session: Any = None,
        step_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        prune: bool = True,
        plan: bool = False,
        clock: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        self.stack = stack
        self.tags = deploy_tags(stack)
        if stack.image:  # the functions run the built image: no zips to upload
            stack.image_reference()
            self.function_zip, self.layer_zip = b"", None
        elif function_zip is None:
            raise ValueError("a zip-packaged stack needs its function zip")
        else:
            self.function_zip = function_zip.read_bytes()
            self.layer_zip = layer_zip.read_bytes() if layer_zip else None
        session = session or boto3_module().session.Session(region_name=stack.region)
        self.clients = {name: session.client(name) for name in SERVICES}
        self.step_seconds = step_seconds
        self.sleep = sleep
        self.prune = prune
        self.plan = plan
        self.result = LambdaDeployResult(plan=plan)
        self.absent: set[str] = set()  # functions a plan would create: nothing to read yet
        self.queue_arns: dict[str, str] = {}  # queue name -> ARN, as resources.queue finds it
        self.table_arn = ""
        # Inside [tool.aloft.lambda] active_hours now (or none set): what deploy switches on.
        now = clock() if clock else datetime.datetime.now(datetime.timezone.utc)
        self.active = stack.off_hours is None or stack.off_hours.is_open(now)
        if stack.off_hours is not None:
            self.result.active_hours = stack.off_hours.hours.text
            self.result.inside_hours = self.active
        # Functions on which an earlier deploy put provisioned concurrency (functions.py).
        self.provisioned_before: set[str] = set()
        self._identity: dict[str, str] = {}

    def client(self, name: str) -> Any:
        return self.clients[name]

    # -- the one way anything changes ---------------------------------------------------------

    def apply(self, action: Action, resource: str, line: str, call: Callable[[], T]) -> T | None:
        """Make one change and record it; in a plan, only record it."""
        if self.plan:
            self.result.record(action, resource, line)
            return None
        value = call()
        self.result.record(action, resource, line)
        return value

    def remove(self, resource: str, delete: Callable[[], object]) -> bool:
        """Delete what the config dropped, or with --no-prune report it as orphaned."""
        if not self.prune:
            self.result.record(
                "orphan", resource, f"{resource} orphaned: no longer in the config (--no-prune)"
            )
            return False
        self.apply("delete", resource, f"{resource} deleted", delete)
        return True

    def keep(self, resource: str, reason: str) -> None:
        self.result.record("orphan", resource, f"{resource} kept: {reason}")

    def sync_tags(
        self,
        kind: str,
        name: str,
        ident: str,
        current: dict[str, str],
        wanted: dict[str, str] | None = None,
    ) -> None:
        """Make the resource carry `wanted` (the deploy's tags unless given)."""
        tagging = TAGGING[kind]
        client = self.client(tagging.service)
        add, remove = tag_changes(current, self.tags if wanted is None else wanted)
        resource = f"{kind} {name}"
        if add:
            self.apply(
                "update",
                resource,
                f"{resource} tags set: {', '.join(sorted(add))}",
                lambda: tagging.tag(client, ident, add),
            )
        if remove:
            self.apply(
                "update",
                resource,
                f"{resource} tags removed: {', '.join(remove)}",
                lambda: tagging.untag(client, ident, remove),
            )

    # -- the account ----------------------------------------------------------------------------

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        """The ARN a resource a plan would create will have (nothing exists to ask)."""
        partition, region, account = self.pseudo()
        return f"arn:{partition}:{service}:{region if regional else ''}:{account}:{resource}"

    def pseudo(self) -> tuple[str, str, str]:
        """CloudFormation's ${AWS::Partition}, ${AWS::Region} and ${AWS::AccountId} here."""
        if not self._identity:
            self._identity = dict(self.client("sts").get_caller_identity())
        partition = self._identity["Arn"].split(":")[1]
        return partition, self.client("sqs").meta.region_name, self._identity["Account"]
