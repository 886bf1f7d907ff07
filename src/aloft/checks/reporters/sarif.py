"""SARIF 2.1.0 (OASIS), the format code-scanning UIs read to show findings inline on the code.

Paths are relative to the checked root, anchored by the `PROJECTROOT` base id; notes (skipped files)
become tool execution notifications rather than results, since they are not defects in the code.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aloft.checks.findings import Finding, Report, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
BASE_ID = "PROJECTROOT"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _version() -> str:
    try:
        return metadata.version("aloft-cli")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.0.0"


def _region(finding: Finding) -> dict[str, int] | None:
    loc = finding.location
    if loc.line < 1:
        return None
    region = {"startLine": loc.line, "startColumn": max(loc.column, 1)}
    if loc.end_line >= loc.line:
        region["endLine"] = loc.end_line
        if loc.end_column and (loc.end_line > loc.line or loc.end_column > region["startColumn"]):
            region["endColumn"] = loc.end_column
    return region


def _location(finding: Finding) -> dict[str, Any]:
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": quote(finding.location.path), "uriBaseId": BASE_ID}
    }
    region = _region(finding)
    if region:
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.location.object:
        name = finding.location.object + (
            f".{finding.location.field}" if finding.location.field else ""
        )
        location["logicalLocations"] = [{"fullyQualifiedName": name, "kind": "object"}]
    return location


def render_sarif(report: Report) -> str:
    rule_ids = sorted(report.rules)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    rules = []
    for rule_id in rule_ids:
        rule = report.rules[rule_id]
        principle = report.principles.get(rule.principle)
        rules.append(
            {
                "id": rule.id,
                "name": rule.name,
                "shortDescription": {"text": rule.rationale},
                "fullDescription": {"text": f"{rule.rationale} Fix: {rule.fix}"},
                "help": {"text": rule.fix},
                "defaultConfiguration": {"level": LEVELS[rule.severity]},
                "properties": {"tags": [principle.title if principle else rule.principle]},
            }
        )
    results = []
    for finding in report.findings:
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "level": LEVELS[finding.severity],
            "message": {"text": f"{finding.message}. Fix: {finding.fix}"},
            "locations": [_location(finding)],
        }
        if finding.rule in index:
            result["ruleIndex"] = index[finding.rule]
        results.append(result)
    notifications = [
        {
            "level": "note",
            "message": {"text": note.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": quote(note.path), "uriBaseId": BASE_ID}
                    }
                }
            ],
        }
        for note in report.notes
    ]
    root_uri = Path(report.root).resolve().as_uri().rstrip("/") + "/"
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": f"aloft {report.tool}",
                        "version": _version(),
                        "informationUri": "https://pypi.org/project/aloft/",
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {BASE_ID: {"uri": root_uri}},
                "invocations": [
                    {"executionSuccessful": True, "toolExecutionNotifications": notifications}
                ],
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2)
