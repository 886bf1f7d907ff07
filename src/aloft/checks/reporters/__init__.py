"""Reporters turn a Report into text for people (human), scripts (json) or code-scanning UIs
(sarif)."""

from __future__ import annotations

from collections.abc import Callable

from aloft.checks.findings import Report
from aloft.checks.reporters.human import render_human
from aloft.checks.reporters.json import render_json
from aloft.checks.reporters.sarif import render_sarif

Reporter = Callable[[Report], str]

REPORTERS: dict[str, Reporter] = {
    "text": render_human,
    "json": render_json,
    "sarif": render_sarif,
}

__all__ = ["REPORTERS", "Reporter", "render_human", "render_json", "render_sarif"]
