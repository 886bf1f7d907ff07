"""Checks that read a project and report findings: `aloft doctor` (the app's source and files) and
`aloft k8s check` (manifests), on one findings model, one suppression mechanism and one set of
reporters (human, JSON, SARIF)."""

from aloft.checks.catalog import Catalog, load_catalog
from aloft.checks.findings import Finding, Location, Note, Principle, Report, RuleInfo, Severity
from aloft.checks.reporters import REPORTERS
from aloft.checks.suppress import Policy, Suppression, Suppressions, parse_suppressions

__all__ = [
    "REPORTERS",
    "Catalog",
    "Finding",
    "Location",
    "Note",
    "Policy",
    "Principle",
    "Report",
    "RuleInfo",
    "Severity",
    "Suppression",
    "Suppressions",
    "load_catalog",
    "parse_suppressions",
]
