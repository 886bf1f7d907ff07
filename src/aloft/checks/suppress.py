"""The one way to silence a finding: a comment on its line, or the rule's setting in config.

    password = load_fixture()  # aloft: ignore[CFG001] test key, revoked

A comment names one or more rule ids (or rule names) and should give a reason; a suppression
without a reason still applies but is noted, so reviews can ask for one. Config turns rules off or
changes their severity for the whole project (`Policy`). `aloft k8s check` adds object-level
suppressions (annotations) through the same `Suppressions.add`.
"""

from __future__ import annotations

import dataclasses
import io
import re
import tokenize
from collections.abc import Iterable, Iterator, Mapping

from aloft.checks.catalog import Catalog
from aloft.checks.findings import Finding, Note, Severity

MARKER = "aloft: ignore"
_COMMENT = re.compile(r"#\s*aloft:\s*ignore\[([^\]]*)\]\s*(.*)$")


@dataclasses.dataclass(frozen=True)
class Suppression:
    path: str
    line: int
    rules: frozenset[str]
    reason: str
    object: str = ""


class Suppressions:
    def __init__(self) -> None:
        self._by_place: dict[tuple[str, int, str], set[str]] = {}

    def add(self, suppression: Suppression) -> None:
        key = (suppression.path, suppression.line, suppression.object)
        self._by_place.setdefault(key, set()).update(suppression.rules)

    def covers(self, finding: Finding) -> bool:
        loc = finding.location
        lines = {loc.line, loc.end_line} - {0}
        for line in lines or {0}:
            if finding.rule in self._by_place.get((loc.path, line, loc.object), ()):
                return True
        return bool(loc.object) and finding.rule in self._by_place.get(
            (loc.path, 0, loc.object), ()
        )


def comment_lines(text: str, *, python: bool) -> Iterator[tuple[int, str]]:
    """(line, comment text) of each comment carrying the marker; Python via tokenize, so a
    marker inside a string literal is not a suppression."""
    if MARKER not in text:
        return
    if not python:
        for number, line in enumerate(text.splitlines(), 1):
            if MARKER in line and "#" in line:
                yield number, line[line.index("#") :]
        return
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and MARKER in token.string:
                yield token.start[0], token.string
    except (tokenize.TokenError, SyntaxError):
        return


def parse_suppressions(
    path: str, text: str, catalog: Catalog, *, python: bool
) -> tuple[list[Suppression], list[Note]]:
    suppressions: list[Suppression] = []
    notes: list[Note] = []
    for line, comment in comment_lines(text, python=python):
        match = _COMMENT.search(comment)
        if not match:
            notes.append(
                Note(
                    path,
                    f"line {line}: malformed suppression; write # aloft: ignore[RULE-ID] reason",
                )
            )
            continue
        rules: set[str] = set()
        for key in (part.strip() for part in match.group(1).split(",")):
            rule = catalog.resolve(key)
            if rule is None:
                notes.append(Note(path, f"line {line}: suppression names unknown rule {key!r}"))
            else:
                rules.add(rule)
        reason = match.group(2).strip()
        if rules and not reason:
            notes.append(
                Note(
                    path, f"line {line}: suppression of {', '.join(sorted(rules))} gives no reason"
                )
            )
        if rules:
            suppressions.append(Suppression(path, line, frozenset(rules), reason))
    return suppressions, notes


@dataclasses.dataclass(frozen=True)
class Policy:
    """Project-wide rule settings: which rules run, at what severity, and what fails the run."""

    disabled: frozenset[str] = frozenset()
    enabled: frozenset[str] = frozenset()
    severities: Mapping[str, Severity] = dataclasses.field(default_factory=dict)
    fail_on: Severity = Severity.WARNING

    def active(self, catalog: Catalog) -> set[str]:
        on = {rule.id for rule in catalog.rules.values() if rule.enabled} | set(self.enabled)
        return on - set(self.disabled)

    def apply(self, findings: Iterable[Finding]) -> Iterator[Finding]:
        for finding in findings:
            if finding.rule in self.disabled:
                continue
            severity = self.severities.get(finding.rule)
            yield dataclasses.replace(finding, severity=severity) if severity else finding
