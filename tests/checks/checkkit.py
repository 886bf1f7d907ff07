"""Helpers for doctor's rule corpus: write a small project, run one rule, compare exact findings.

Lines a rule must report are marked in the snippet with a trailing `# <-` comment, so each test
reads as its own expectation.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from aloft.checks.doctor.engine import Doctor, DoctorOptions, load_doctor_catalog
from aloft.checks.findings import Finding
from aloft.checks.suppress import Policy

MARK = "# <-"

RunRule = Callable[..., list[tuple[str, int]]]


def marked(files: dict[str, str] | str, name: str = "app.py") -> list[tuple[str, int]]:
    """(path, line) of every line carrying the `# <-` marker."""
    files = {name: files} if isinstance(files, str) else files
    out = []
    for path, text in files.items():
        for number, line in enumerate(textwrap.dedent(text).lstrip("\n").splitlines(), 1):
            if MARK in line:
                out.append((path, number))
    return sorted(out)


def write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def run_rule(
    root: Path, rule: str, files: dict[str, str] | str, name: str = "app.py"
) -> list[Finding]:
    files = {name: files} if isinstance(files, str) else files
    write(root, files)
    catalog = load_doctor_catalog()
    others = frozenset(catalog.rules) - {rule}
    report = Doctor(root, DoctorOptions(policy=Policy(disabled=others)), catalog).run()
    return [f for f in report.findings if f.rule == rule]
