"""`aloft lambda rollback`: move each function's alias back to the version it served before.

Lambda keeps no history of an alias, so deploy records one in the alias's Description
(serverless/deploy/release.py): "the previous version" is the last one the alias served before,
never a version whose gradual release deploy rolled back. Rolling back takes that entry off the
history, so rolling back twice goes back two releases; `--to V` records the version it leaves, so
a rollback after it returns there. An alias without aloft's history (made by hand, or before aloft
kept one) falls back to the highest published version below the one it serves.

A gradual release that is mid-way (the alias still on the old version, part of the traffic
weighted to the new one) is rolled back by dropping the weights: all traffic returns to the
version the alias names.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aloft.exceptions import ConfigError, OperationFailed
from aloft.serverless.deploy.release import point_alias, served_before
from aloft.serverless.logs import aws_errors, client
from aloft.serverless.model import ALIAS, Function, Stack


@dataclasses.dataclass(frozen=True)
class AliasChange:
    function: str
    alias: str
    from_version: str
    to_version: str
    # Versions that were receiving a share of the traffic (a gradual release mid-way).
    dropped_weights: dict[str, float] = dataclasses.field(default_factory=dict)
    # The alias's recorded history once moved (None: leave its Description as it is).
    history: list[str] | None = None

    @property
    def changed(self) -> bool:
        return self.from_version != self.to_version or bool(self.dropped_weights)

    def text(self) -> str:
        shares = "".join(f" + v{v} at {w:.0%}" for v, w in sorted(self.dropped_weights.items()))
        head = f"{self.function}: alias {self.alias} v{self.from_version}{shares}"
        if not self.changed:
            return f"{head}: already there, unchanged"
        return f"{head} -> v{self.to_version}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "alias": self.alias,
            "from": self.from_version,
            "to": self.to_version,
            "dropped_weights": self.dropped_weights,
            "changed": self.changed,
        }


def _versions(lam: Any, name: str) -> list[int]:
    pages = lam.get_paginator("list_versions_by_function").paginate(FunctionName=name)
    return sorted(
        int(v["Version"]) for page in pages for v in page["Versions"] if v["Version"] != "$LATEST"
    )


def plan(lam: Any, fn: Function, to: str | None) -> AliasChange:
    """What rolling `fn` back means, from what Lambda has now; changes nothing."""
    try:
        alias = lam.get_alias(FunctionName=fn.name, Name=ALIAS)
    except lam.exceptions.ResourceNotFoundException:
        raise OperationFailed(
            f"{fn.name}: no alias {ALIAS} (or no such function) in this account and region;"
            " deploy it first with `aloft lambda deploy`"
        ) from None
    current = str(alias["FunctionVersion"])
    weights = {
        str(v): float(w)
        for v, w in (
            (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        ).items()
    }
    versions = _versions(lam, fn.name)
    history = served_before(alias)
    if to is not None:
        if not to.isdigit() or int(to) not in versions:
            raise ConfigError(
                f"--to {to}: {fn.name} has no published version {to}; it has "
                + (", ".join(map(str, versions)) or "none")
            )
        target = str(int(to))
        moved = None if history is None or target == current else [*history, current]
        return AliasChange(fn.name, ALIAS, current, target, weights, moved)
    if weights:  # mid-way: the alias's own version is the one that was serving before
        return AliasChange(fn.name, ALIAS, current, current, weights)
    if history is not None:
        # Entries whose version was deleted since (pruned) cannot be returned to: skip them.
        kept = [v for v in history if int(v) in versions and v != current]
        if kept:
            return AliasChange(fn.name, ALIAS, current, kept[-1], history=kept[:-1])
    else:
        earlier = [v for v in versions if v < int(current)]
        if earlier:
            return AliasChange(fn.name, ALIAS, current, str(earlier[-1]))
    raise OperationFailed(
        f"{fn.name}: alias {ALIAS} serves v{current} and no version it served before remains;"
        " nothing to roll back to (`--to V` names one)"
    )


def rollback(
    stack: Stack, functions: list[Function], to: str | None, *, dry_run: bool = False
) -> list[AliasChange]:
    """Plan every function first, so a function without an earlier version stops the whole
    rollback before any alias moves; then move the aliases."""
    with aws_errors("lambda rollback"):
        lam = client("lambda", stack.region)
        changes = [plan(lam, fn, to) for fn in functions]
        if dry_run:
            return changes
        for change in changes:
            if change.changed:
                point_alias(lam, change.function, change.to_version, history=change.history)
        return changes
