"""Ownership is a tag: which tags deploy puts on every resource, and how each AWS API spells them.

Every resource `aloft lambda deploy` creates or manages carries `aloft:stack=<stack>` (the model's
OWNER) and the project's [tool.aloft.tags]; pruning deletes only what carries this stack's owner
tag. Deploy sets the tags; prune reads them: both through this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aloft.exceptions import ConfigError
from aloft.serverless.model import OWNER, Stack

# The keys of [tool.aloft.tags] deploy set last time, so a key dropped from the config is removed
# from the resources while tags added by hand stay. Keys under `aloft:` are always ours.
MANAGED = "aloft:managed-tags"
MAX_TAG_VALUE = 256  # the shortest limit among the tagged services (IAM, SQS, Lambda, ...)


def deploy_tags(stack: Stack) -> dict[str, str]:
    """The template's tags (the owner among them) plus the record of the managed keys."""
    tags = {**stack.tags, OWNER: stack.name}
    managed = " ".join(sorted(k for k in stack.tags if not k.startswith("aloft:")))
    if len(managed) > MAX_TAG_VALUE:
        raise ConfigError(
            f"[tool.aloft.tags]: the keys take {len(managed)} characters together, over the"
            f" {MAX_TAG_VALUE} AWS allows in the tag deploy records them in;"
            " use fewer or shorter keys"
        )
    if managed:
        tags[MANAGED] = managed
    return tags


def tag_changes(
    current: dict[str, str], wanted: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """What to set and what to remove so `current` carries `wanted`, leaving others' tags alone."""
    ours = {k for k in current if k.startswith("aloft:")} | set(current.get(MANAGED, "").split())
    add = {k: v for k, v in wanted.items() if current.get(k) != v}
    remove = sorted(k for k in ours - wanted.keys() if k in current)
    return add, remove


def pairs(tags: dict[str, str]) -> list[dict[str, str]]:
    """Tags as IAM, DynamoDB and EventBridge take them: a list of Key/Value pairs."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _from_pairs(items: list[dict[str, str]]) -> dict[str, str]:
    return {p["Key"]: p["Value"] for p in items}


@dataclass(frozen=True)
class Tagging:
    """How one kind of resource reads and changes its tags: each AWS API spells it differently."""

    service: str
    read: Callable[[Any, str], dict[str, str]]
    tag: Callable[[Any, str, dict[str, str]], object]
    untag: Callable[[Any, str, list[str]], object]


_LAMBDA = Tagging(
    "lambda",
    lambda c, arn: dict(c.list_tags(Resource=arn).get("Tags", {})),
    lambda c, arn, tags: c.tag_resource(Resource=arn, Tags=tags),
    lambda c, arn, keys: c.untag_resource(Resource=arn, TagKeys=keys),
)

# Resource kind -> its tag API; the id is what that API takes (a queue URL, a role name, an ARN).
TAGGING: dict[str, Tagging] = {
    "function": _LAMBDA,
    "sqs-mapping": _LAMBDA,
    "queue": Tagging(
        "sqs",
        lambda c, url: dict(c.list_queue_tags(QueueUrl=url).get("Tags", {})),
        lambda c, url, tags: c.tag_queue(QueueUrl=url, Tags=tags),
        lambda c, url, keys: c.untag_queue(QueueUrl=url, TagKeys=keys),
    ),
    "role": Tagging(
        "iam",
        lambda c, name: _from_pairs(c.list_role_tags(RoleName=name).get("Tags", [])),
        lambda c, name, tags: c.tag_role(RoleName=name, Tags=pairs(tags)),
        lambda c, name, keys: c.untag_role(RoleName=name, TagKeys=keys),
    ),
    "table": Tagging(
        "dynamodb",
        lambda c, arn: _from_pairs(c.list_tags_of_resource(ResourceArn=arn).get("Tags", [])),
        lambda c, arn, tags: c.tag_resource(ResourceArn=arn, Tags=pairs(tags)),
        lambda c, arn, keys: c.untag_resource(ResourceArn=arn, TagKeys=keys),
    ),
    "http-api": Tagging(
        "apigatewayv2",
        lambda c, arn: dict(c.get_tags(ResourceArn=arn).get("Tags", {})),
        lambda c, arn, tags: c.tag_resource(ResourceArn=arn, Tags=tags),
        lambda c, arn, keys: c.untag_resource(ResourceArn=arn, TagKeys=keys),
    ),
    "schedule-group": Tagging(
        "scheduler",
        lambda c, arn: _from_pairs(c.list_tags_for_resource(ResourceArn=arn).get("Tags", [])),
        lambda c, arn, tags: c.tag_resource(ResourceArn=arn, Tags=pairs(tags)),
        lambda c, arn, keys: c.untag_resource(ResourceArn=arn, TagKeys=keys),
    ),
    "schedule": Tagging(
        "events",
        lambda c, arn: _from_pairs(c.list_tags_for_resource(ResourceARN=arn).get("Tags", [])),
        lambda c, arn, tags: c.tag_resource(ResourceARN=arn, Tags=pairs(tags)),
        lambda c, arn, keys: c.untag_resource(ResourceARN=arn, TagKeys=keys),
    ),
}
