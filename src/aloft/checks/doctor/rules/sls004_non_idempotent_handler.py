"""SLS004 non-idempotent-handler: side effects on an at-least-once event source with no idempotency
key."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from aloft.checks.doctor.rules import SourceHit
from aloft.checks.doctor.source import Function, PySource, const_str

ID = "SLS004"

SIDE_EFFECTS = frozenset(
    {
        "put_item",
        "update_item",
        "send_message",
        "send_message_batch",
        "publish",
        "put_object",
        "put_events",
        "put_record",
        "put_records",
        "start_execution",
        "send_email",
        "send_raw_email",
        "insert",
        "insert_one",
        "insert_many",
        "execute",
        "charge",
        "create",
        "post",
        "put",
        "patch",
    }
)
IDEMPOTENCY = re.compile(r"(?i)(idempot|dedup|ConditionExpression|attribute_not_exists)")


def check(src: PySource) -> Iterator[SourceHit]:
    for handler in src.handlers("lambda"):
        functions = src.reachable([handler])
        keys = {k for f in functions for k in _event_keys(f)}
        source = _source(keys)
        if source is None or any(_idempotent(src, f) for f in functions):
            continue
        effect = next((e for f in functions for e in _side_effects(f)), None)
        if effect is not None:
            yield SourceHit.at(
                handler.node,
                f"{handler.name}() handles {source} events (delivered at least once) "
                f"and calls {effect}() "
                "with no idempotency key",
            )


def _event_keys(function: Function) -> Iterator[str]:
    for node in ast.walk(function.node):
        if isinstance(node, ast.Subscript):
            key = const_str(node.slice)
            if key:
                yield key
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and node.args
        ):
            key = const_str(node.args[0])
            if key:
                yield key


def _source(keys: set[str]) -> str | None:
    if "Records" in keys:
        if "s3" in keys:
            return "S3"
        if "Sns" in keys:
            return "SNS"
        if "body" in keys or "messageId" in keys:
            return "SQS"
    if "detail" in keys or "detail-type" in keys:
        return "EventBridge"
    return None


def _idempotent(src: PySource, function: Function) -> bool:
    for decorator in function.node.decorator_list:
        if IDEMPOTENCY.search(ast.unparse(decorator)):
            return True
    for node in ast.walk(function.node):
        text = (
            node.id
            if isinstance(node, ast.Name)
            else node.attr
            if isinstance(node, ast.Attribute)
            else node.arg
            if isinstance(node, ast.keyword)
            else const_str(node)
        )
        if text and IDEMPOTENCY.search(text):
            return True
    return False


def _side_effects(function: Function) -> Iterator[str]:
    for node in ast.walk(function.node):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SIDE_EFFECTS
        ):
            yield node.func.attr
