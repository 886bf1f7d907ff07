"""`[tool.aloft.doctor]`: which doctor rules run, at what severity, what fails the run, what is
skipped.

[tool.aloft.doctor]
fail_on = "error"                 # exit 1 only for errors (default: warning)
exclude = ["scripts/**"]          # added to the default excludes (tests, migrations, docs)
disable = ["LOG001"]              # rule ids or names
severity = { CTR006 = "warning" } # per-rule severity

[tool.aloft.doctor.rules.ALC003]  # a rule's own thresholds
timeout_factor = 4
"""

from __future__ import annotations

from typing import Any, Literal

from aloft.config.schema import setting, table

SeverityName = Literal["info", "warning", "error"]


@table
class DoctorConfig:
    fail_on: SeverityName = setting(
        default="warning", doc="lowest severity that makes doctor exit 1"
    )
    exclude: list[str] = setting(default_factory=list, doc="globs of files or folders to skip")
    disable: list[str] = setting(default_factory=list, doc="rules to turn off (ids or names)")
    enable: list[str] = setting(
        default_factory=list, doc="rules that are off by default to turn on"
    )
    severity: dict[str, SeverityName] = setting(default_factory=dict, doc="rule -> severity")
    rules: dict[str, dict[str, Any]] = setting(
        default_factory=dict,
        doc="rule -> its thresholds, e.g. ALC003 = { timeout_factor = 4 }",
    )
