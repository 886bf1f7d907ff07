"""Reporters: JSON for scripts, SARIF 2.1.0 for code-scanning UIs (checked against the spec's
required structure), and the human report grouped by principle with a score."""

from __future__ import annotations

import json
from pathlib import Path

from checkkit import write

from aloft.checks.doctor.engine import Doctor
from aloft.checks.findings import Report
from aloft.checks.reporters import render_human, render_json, render_sarif

APP = """\
import time

DEBUG = True


async def handle(event):
    time.sleep(1)
    print("done")
"""

LEVELS = {"none", "note", "warning", "error"}


def report_for(root: Path) -> Report:
    write(
        root,
        {
            "svc/app.py": APP,
            "Dockerfile": "FROM python:3.12-slim\nUSER 10001\n",
            "bad.py": "x = (\n",
            "blob.py": "",
        },
    )
    (root / "blob.py").write_bytes(b"\0\0")
    return Doctor(root).run()


def assert_valid_sarif(document: dict) -> None:
    """The SARIF 2.1.0 schema's required properties and value constraints for what aloft emits."""
    assert document["version"] == "2.1.0"
    assert document["$schema"].endswith("sarif-2.1.0.json")
    assert isinstance(document["runs"], list) and document["runs"]
    for run in document["runs"]:
        driver = run["tool"]["driver"]
        assert isinstance(driver["name"], str) and driver["name"]
        rule_ids = [r["id"] for r in driver["rules"]]
        assert len(rule_ids) == len(set(rule_ids))
        for rule in driver["rules"]:
            assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
            assert rule["defaultConfiguration"]["level"] in LEVELS
        bases = run["originalUriBaseIds"]
        for base in bases.values():
            assert base["uri"].startswith("file://") and base["uri"].endswith("/")
        for result in run["results"]:
            assert isinstance(result["message"]["text"], str) and result["message"]["text"]
            assert result["level"] in LEVELS
            assert rule_ids[result["ruleIndex"]] == result["ruleId"]
            for location in result["locations"]:
                physical = location["physicalLocation"]
                artifact = physical["artifactLocation"]
                assert not artifact["uri"].startswith("/") and artifact["uriBaseId"] in bases
                region = physical.get("region")
                if region:
                    assert region["startLine"] >= 1 and region["startColumn"] >= 1
                    assert region.get("endLine", region["startLine"]) >= region["startLine"]
                    if (
                        region.get("endLine", region["startLine"]) == region["startLine"]
                        and "endColumn" in region
                    ):
                        assert region["endColumn"] > region["startColumn"]
        for invocation in run["invocations"]:
            assert isinstance(invocation["executionSuccessful"], bool)
            for notification in invocation["toolExecutionNotifications"]:
                assert notification["message"]["text"] and notification["level"] in LEVELS


def test_sarif_is_structurally_valid_and_places_results_on_lines(tmp_path: Path):
    report = report_for(tmp_path)
    document = json.loads(render_sarif(report))
    assert_valid_sarif(document)
    results = document["runs"][0]["results"]
    placed = sorted(
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in results
    )
    assert placed == [
        ("ASY001", "svc/app.py", 7),
        ("CFG003", "svc/app.py", 3),
        ("LOG001", "svc/app.py", 8),
        ("SRC001", "bad.py", 1),
    ]
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels == {"ASY001": "error", "CFG003": "error", "LOG001": "warning", "SRC001": "error"}
    notes = document["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == ["skipped: binary file"]


def test_json_report_lists_findings_with_location_and_fix(tmp_path: Path):
    document = json.loads(render_json(report_for(tmp_path)))
    assert document["counts"] == {"info": 0, "warning": 1, "error": 3}
    assert document["files_checked"] == 3
    first = next(f for f in document["findings"] if f["rule"] == "CFG003")
    assert first == {
        "rule": "CFG003",
        "name": "debug-enabled",
        "severity": "error",
        "principle": "config",
        "path": "svc/app.py",
        "line": 3,
        "column": 1,
        "end_line": 3,
        "end_column": 13,
        "message": "debug mode is switched on in code",
        "fix": first["fix"],
        "fixable": False,
    }
    assert document["notes"] == [{"path": "blob.py", "message": "skipped: binary file"}]
    assert document["score"] == 100 - 3 * 10 - 4


def test_human_report_groups_by_principle_in_catalog_order_with_summary(tmp_path: Path):
    text = render_human(report_for(tmp_path))
    headings = [
        line
        for line in text.splitlines()
        if line
        and not line.startswith(" ")
        and "(" in line
        and not line.startswith(("note", "3 files"))
    ]
    assert headings == [
        "Configuration in the environment (1)",
        "Logs as event streams (1)",
        "Async code that never blocks (1)",
        "Files doctor could not read (1)",
    ]
    assert "  svc/app.py:3:1  error   CFG003  debug mode is switched on in code" in text
    assert "note: blob.py: skipped: binary file" in text
    assert (
        text.splitlines()[-1]
        == "3 files checked, 4 findings (3 errors, 1 warning, 0 infos). Score 66/100."
    )
