"""The report for people: findings grouped by principle, each with its fix, then a summary line."""

from __future__ import annotations

import click

from aloft.checks.findings import Report, Severity

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render_human(report: Report, *, color: bool = False) -> str:
    def style(text: str, **kwargs: object) -> str:
        return click.style(text, **kwargs) if color else text  # type: ignore[arg-type]

    lines: list[str] = []
    for principle, findings in report.by_principle():
        lines.append(style(f"{principle.title} ({len(findings)})", bold=True))
        for finding in findings:
            severity = style(finding.severity.label.ljust(7), fg=_COLORS[finding.severity])
            lines.append(f"  {finding.location}  {severity} {finding.rule}  {finding.message}")
            lines.append(style(f"      fix: {finding.fix}", dim=True))
        lines.append("")
    for note in report.notes:
        lines.append(style(f"note: {note.path}: {note.message}", dim=True))
    if report.notes:
        lines.append("")
    counts = report.counts()
    parts = [f"{counts[s]} {s.label}{'s' if counts[s] != 1 else ''}" for s in reversed(Severity)]
    files = f"{report.files_checked} file{'s' if report.files_checked != 1 else ''}"
    found = f"{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''}"
    summary = f"{files} checked, {found} ({', '.join(parts)})"
    if report.suppressed:
        summary += f", {report.suppressed} suppressed"
    lines.append(f"{summary}. Score {report.score}/100.")
    return "\n".join(lines)
