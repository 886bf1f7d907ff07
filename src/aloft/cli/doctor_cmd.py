"""`aloft doctor [PATH]`: what keeps this service from running cloud-natively, with file, line and
fix."""

from __future__ import annotations

from pathlib import Path

import click

from aloft.checks.doctor.configure import doctor_options
from aloft.checks.doctor.engine import Doctor, load_doctor_catalog
from aloft.cli._common import findings_output_option, report_findings


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path), default=Path("."))
@findings_output_option
@click.option(
    "--fail-on",
    type=click.Choice(["info", "warning", "error"]),
    default=None,
    help="Exit 1 when a finding is at or above this severity [default: from config, else warning].",
)
@click.option(
    "--exclude", multiple=True, metavar="GLOB", help="Skip matching files or folders (repeatable)."
)
@click.option(
    "--fix",
    is_flag=True,
    help="Apply the safe mechanical fixes (print -> logger), showing the diff.",
)
@click.option(
    "--diff", "diff_only", is_flag=True, help="Show the diff --fix would apply; change nothing."
)
@click.option(
    "--list-rules", is_flag=True, help="List every rule with its severity and rationale, then exit."
)
def doctor(
    *,
    path: Path,
    output: str,
    fail_on: str | None,
    exclude: tuple[str, ...],
    fix: bool,
    diff_only: bool,
    list_rules: bool,
) -> None:
    """Check a Python service for what breaks as replicas on Kubernetes or as a Lambda function.

    Findings are grouped by principle (config, state, logs, async, serverless, containers). Silence
    one on its line with `# aloft: ignore[RULE-ID] reason`, or per rule in [tool.aloft.doctor].
    Exit codes: 0 clean, 1 findings at or above --fail-on, 2 bad usage or config.
    """
    catalog = load_doctor_catalog()
    if list_rules:
        for rule in catalog.rules.values():
            click.echo(f"{rule.id}  {rule.name:<28} {rule.severity.label:<8} {rule.rationale}")
        return
    options = doctor_options(path, catalog, fail_on=fail_on, exclude=exclude)
    checker = Doctor(path, options, catalog)
    report = checker.run()
    if fix or diff_only:
        fixes = checker.fixes(report)
        to_stderr = output != "text"
        for file_fix in fixes:
            click.echo(file_fix.diff(), err=to_stderr, nl=False)
        if fix and fixes:
            for file_fix in fixes:
                file_fix.write()
            click.echo(f"fixed {len(fixes)} file(s)", err=True)
            report = checker.run()
    report_findings(report, output, options.policy.fail_on)
