"""Rule catalogs: the data file that says, for each rule, what it checks and why.

Each check tool (`doctor`, `k8s check`) keeps its catalog as TOML beside its rules, with the date it
was last reviewed and the sources its rationales come from, so the words live apart from the code.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from aloft.checks.findings import Principle, RuleInfo, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@dataclasses.dataclass(frozen=True)
class Catalog:
    tool: str
    updated: str
    source: str
    principles: dict[str, Principle]
    rules: dict[str, RuleInfo]

    def resolve(self, key: str) -> str | None:
        """A rule id from its id or its name (`LOG001` or `print-logging`), or None."""
        if key in self.rules:
            return key
        for rule in self.rules.values():
            if rule.name == key:
                return rule.id
        return None


def load_catalog(path: Path) -> Catalog:
    with path.open("rb") as fh:
        data: dict[str, Any] = tomllib.load(fh)
    meta = data["catalog"]
    principles = {
        key: Principle(key, value["title"], value.get("summary", ""))
        for key, value in data["principles"].items()
    }
    rules: dict[str, RuleInfo] = {}
    for rule_id, value in data["rules"].items():
        if value["principle"] not in principles:
            raise ValueError(
                f"{path}: rule {rule_id} names unknown principle {value['principle']!r}"
            )
        rules[rule_id] = RuleInfo(
            id=rule_id,
            name=value["name"],
            principle=value["principle"],
            severity=Severity.parse(value["severity"]),
            rationale=value["rationale"],
            fix=value["fix"],
            fixable=bool(value.get("fixable", False)),
            enabled=bool(value.get("enabled", True)),
        )
    return Catalog(meta["tool"], str(meta["updated"]), meta["source"], principles, rules)


def rule_modules(package: str, path: Iterable[str]) -> dict[str, ModuleType]:
    """Rule id -> module, for every module of a rules package that names its rule with `ID`.

    Both check tools find their rules this way (adding a rule is adding a module); each calls it
    from its rules package with that package's `__name__` and `__path__`, and caches the answer.
    """
    modules: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(path), key=lambda i: i.name):
        module = importlib.import_module(f"{package}.{info.name}")
        rule_id = getattr(module, "ID", None)
        if rule_id:
            modules[rule_id] = module
    return modules
