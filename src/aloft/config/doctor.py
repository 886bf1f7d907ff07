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

from pydantic import BaseModel, ConfigDict, Field

SeverityName = Literal["info", "warning", "error"]


class DoctorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fail_on: SeverityName = Field(
        default="warning", description="lowest severity that makes doctor exit 1"
    )
    exclude: list[str] = Field(
        default_factory=list, description="globs of files or folders to skip"
    )
    disable: list[str] = Field(default_factory=list, description="rules to turn off (ids or names)")
    enable: list[str] = Field(
        default_factory=list, description="rules that are off by default to turn on"
    )
    severity: dict[str, SeverityName] = Field(default_factory=dict, description="rule -> severity")
    rules: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="rule -> its thresholds, e.g. ALC003 = { timeout_factor = 4 }",
    )
