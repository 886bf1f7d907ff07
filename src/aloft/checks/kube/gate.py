"""The deploy gate: `aloft k8s deploy|diff` refuse rendered manifests with an error finding.

kube.deploy takes the gate as a plain callable (kube sits below checks and never imports it);
the CLI builds it here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aloft.checks.findings import Severity
from aloft.checks.kube.engine import CheckOptions, KubeChecker, rendered_documents
from aloft.checks.suppress import Policy
from aloft.kube.render import Rendered


def deploy_gate(root: Path) -> Callable[[Rendered], str | None]:
    """A gate for the project at `root`: None when no finding is an error, else the worst
    one's object, field, rule, message and fix on one line."""

    def gate(rendered: Rendered) -> str | None:
        policy = Policy(fail_on=Severity.ERROR)
        report = KubeChecker(CheckOptions(rendered.version, policy)).run(
            rendered_documents(rendered.objects, "(rendered)"), str(root)
        )
        if not report.failed(Severity.ERROR):
            return None
        worst = next(f for f in report.findings if f.severity >= Severity.ERROR)
        return (
            f"{worst.location.object} {worst.location.field}: {worst.rule} {worst.message};"
            f" {worst.fix}"
        )

    return gate
