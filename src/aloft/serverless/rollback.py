"""`aloft lambda rollback`: move each function's alias back to the version it served before.

Lambda keeps no history of an alias, but deploy publishes versions in order and points the
alias at the newest one that passed (serverless/deploy.py `_release`), so "the previous version"
is the highest published version below the one the alias serves. A gradual release that is
mid-way (the alias still on the old version, part of the traffic weighted to the new one) is
rolled back by dropping the weights: all traffic returns to the version the alias names.

Known limit: a version whose gradual release deploy rolled back stays published, and the alias
history is not recorded anywhere, so a later rollback past it would choose it; `--to` names the
version to return to. (Deploy could record the version it leaves in the alias's Description.)
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aloft.exceptions import ConfigError, OperationFailed
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
    if to is not None:
        if not to.isdigit() or int(to) not in versions:
            raise ConfigError(
                f"--to {to}: {fn.name} has no published version {to}; it has "
                + (", ".join(map(str, versions)) or "none")
            )
        return AliasChange(fn.name, ALIAS, current, str(int(to)), weights)
    if weights:  # mid-way: the alias's own version is the one that was serving before
        return AliasChange(fn.name, ALIAS, current, current, weights)
    earlier = [v for v in versions if v < int(current)]
    if not earlier:
        raise OperationFailed(
            f"{fn.name}: alias {ALIAS} serves v{current} and no earlier version exists;"
            " nothing to roll back to"
        )
    return AliasChange(fn.name, ALIAS, current, str(earlier[-1]))


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
                lam.update_alias(
                    FunctionName=change.function,
                    Name=change.alias,
                    FunctionVersion=change.to_version,
                    RoutingConfig={"AdditionalVersionWeights": {}},
                )
        return changes
