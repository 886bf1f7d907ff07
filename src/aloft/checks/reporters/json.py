"""The JSON report: one object, stable keys, for scripts and CI annotations."""

from __future__ import annotations

import json
from typing import Any

from aloft.checks.findings import Finding, Report


def finding_dict(finding: Finding, report: Report) -> dict[str, Any]:
    loc = finding.location
    rule = report.rules.get(finding.rule)
    out: dict[str, Any] = {
        "rule": finding.rule,
        "name": rule.name if rule else finding.rule,
        "severity": finding.severity.label,
        "principle": finding.principle,
        "path": loc.path,
        "line": loc.line,
        "column": loc.column,
        "end_line": loc.end_line,
        "end_column": loc.end_column,
        "message": finding.message,
        "fix": finding.fix,
        "fixable": finding.fixable,
    }
    if loc.object:
        out["object"] = loc.object
        out["field"] = loc.field
    return out


def render_json(report: Report) -> str:
    counts = report.counts()
    document = {
        "tool": report.tool,
        "root": report.root,
        "score": report.score,
        "files_checked": report.files_checked,
        "counts": {severity.label: n for severity, n in counts.items()},
        "suppressed": report.suppressed,
        "findings": [finding_dict(f, report) for f in report.findings],
        "notes": [{"path": n.path, "message": n.message} for n in report.notes],
    }
    return json.dumps(document, indent=2)
