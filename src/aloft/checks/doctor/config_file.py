"""The project's resolved aloft config as config rules see it, and the pyproject.toml line of a key.

Config rules compare settings with each other or with measurements; a finding must point at the
line to edit. The loader remembers which table set each value (`ResolvedConfig.origins`), and this
module finds that table's key (or, for a default, the nearest table that would hold it) in the text.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel

from aloft.checks.doctor.rules import SourceHit
from aloft.config import ResolvedConfig

Settings = TypeVar("Settings", bound=BaseModel)

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]\[]+?)\s*\]\]?\s*(#.*)?$")
_PART = re.compile(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""")
# A key (bare or quoted parts, maybe dotted) at the start of a line, before its `=`.
_KEY = re.compile(rf"^\s*((?:{_PART.pattern})(?:\s*\.\s*(?:{_PART.pattern}))*)\s*=")


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip("\"'") for part in _PART.findall(dotted))


@dataclasses.dataclass(frozen=True)
class ConfigFile:
    """What a `check_config(project: ConfigFile)` rule reads: the resolved config, the pyproject's
    path (relative to the checked folder) and text, and the rule thresholds from
    [tool.aloft.doctor]."""

    resolved: ResolvedConfig
    rel: str
    text: str
    rule_settings: Mapping[str, BaseModel] = dataclasses.field(default_factory=dict)

    def settings(self, rule: str, model: type[Settings]) -> Settings:
        value = self.rule_settings.get(rule)
        return value if isinstance(value, model) else model()

    def origin(self, dotted: str) -> str:
        """Where a setting's value came from, in the user's words: a TOML table or a variable."""
        origin = self.resolved.origin(dotted)
        if origin.startswith("environment "):
            return origin
        table = self._table(dotted)
        return f"[{'.'.join(table)}]" if table else "its default"

    def line_of(self, dotted: str) -> int:
        """The line setting `dotted` (config path such as "kubernetes.termination_grace"), else
        the line of the nearest table that holds it, else 0 (the whole file)."""
        table = self._table(dotted) or ("tool", "aloft", *_parts(dotted)[:-1])
        path = (*table, _parts(dotted)[-1])
        lines = self._lines
        for end in range(len(path), 0, -1):
            if path[:end] in lines:
                return lines[path[:end]]
        return 0

    def hit(self, dotted: str, message: str) -> SourceHit:
        line = self.line_of(dotted)
        return SourceHit(line, 1 if line else 0, message, line)

    def _table(self, dotted: str) -> tuple[str, ...]:
        """The TOML table that set `dotted` (the loader records '<file> [tool.aloft.x]')."""
        origin = self.resolved.origin(dotted)
        if " [" not in origin:
            return ()
        return _parts(origin.rsplit(" [", 1)[1].rstrip("]"))

    @functools.cached_property
    def _lines(self) -> dict[tuple[str, ...], int]:
        """The first line of every table header and key (dotted keys spelled out) in the file."""
        found: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(self.text.splitlines(), 1):
            header = _HEADER.match(line)
            if header:
                table = _parts(header.group(1))
                found.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                found.setdefault((*table, *_parts(key.group(1))), number)
        return found
