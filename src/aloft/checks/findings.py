"""One findings model for every aloft check (`aloft doctor`, `aloft k8s check`).

A check produces `Finding`s (what rule, where, what is wrong, how to fix it) and `Note`s (what it
could not look at and why); a `Report` holds both plus the rule catalog the reporters describe.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping


class Severity(enum.IntEnum):
    """Ordered, so `finding.severity >= threshold` decides the exit code."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, name: str) -> Severity:
        try:
            return cls[name.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {name!r}; use info, warning or error") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclasses.dataclass(frozen=True, order=True)
class Location:
    """Where a finding is: a file (relative to the checked root), a line and column (1-based;
    0 means the whole file), and for structured files the object and field inside it."""

    path: str
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    object: str = ""
    field: str = ""

    def __str__(self) -> str:
        text = self.path
        if self.line:
            text += f":{self.line}"
            if self.column:
                text += f":{self.column}"
        if self.object:
            text += f" {self.object}"
            if self.field:
                text += f" {self.field}"
        return text


@dataclasses.dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    location: Location
    message: str
    fix: str
    principle: str
    fixable: bool = False

    def sort_key(self) -> tuple[Location, str]:
        return (self.location, self.rule)


@dataclasses.dataclass(frozen=True)
class Note:
    """Something a check skipped or could not read (a binary file, an unknown suppression)."""

    path: str
    message: str


@dataclasses.dataclass(frozen=True)
class RuleInfo:
    """A rule's description, from the tool's rule catalog (a data file)."""

    id: str
    name: str
    principle: str
    severity: Severity
    rationale: str
    fix: str
    fixable: bool = False
    enabled: bool = True


@dataclasses.dataclass(frozen=True)
class Principle:
    key: str
    title: str
    summary: str


# What a finding costs the summary score; a score is a nudge, the exit code is the gate.
_WEIGHTS = {Severity.ERROR: 10, Severity.WARNING: 4, Severity.INFO: 1}


@dataclasses.dataclass
class Report:
    tool: str
    root: str
    rules: Mapping[str, RuleInfo]
    principles: Mapping[str, Principle]
    findings: list[Finding] = dataclasses.field(default_factory=list)
    notes: list[Note] = dataclasses.field(default_factory=list)
    suppressed: int = 0
    files_checked: int = 0

    def sort(self) -> None:
        self.findings.sort(key=Finding.sort_key)
        self.notes.sort(key=lambda n: (n.path, n.message))

    @property
    def score(self) -> int:
        return max(0, 100 - sum(_WEIGHTS[f.severity] for f in self.findings))

    def counts(self) -> dict[Severity, int]:
        counts = dict.fromkeys(Severity, 0)
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    def failed(self, threshold: Severity) -> bool:
        return any(f.severity >= threshold for f in self.findings)

    def by_principle(self) -> list[tuple[Principle, list[Finding]]]:
        """Findings grouped by principle, in the catalog's principle order."""
        groups: dict[str, list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault(finding.principle, []).append(finding)
        ordered = [(self.principles[k], groups[k]) for k in self.principles if k in groups]
        unknown = [k for k in groups if k not in self.principles]
        ordered += [(Principle(k, k, ""), groups[k]) for k in unknown]
        return ordered

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)
