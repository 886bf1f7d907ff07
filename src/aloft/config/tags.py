"""`[tool.aloft.tags]`: the one source of cost-allocation tags and labels for every target."""

from __future__ import annotations

import re
from typing import ClassVar

from aloft.config import schema
from aloft.config.schema import setting, table

# The intersection of what AWS tags and Kubernetes label values accept, so one table serves both.
_VALUE = re.compile(r"^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$")
_KEY = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@table
class Tags:
    """team, service, environment, cost-center and any other key: tags on AWS, labels on k8s."""

    # Any other key is a tag too (kept beside the fields, see schema.extra).
    _keeps_extra: ClassVar[bool] = True

    team: str = setting(default="", doc="the owning team")
    environment: str = setting(default="", doc="e.g. prod or staging")
    cost_center: str = setting(default="", doc="the cost center (key cost-center)")

    def _check(self) -> None:
        for key, value in self._all().items():
            if not isinstance(value, str) or not _VALUE.match(value):
                raise ValueError(
                    f"tag {key} = {value!r}: use a string of at most 63 letters, digits, '-', '_'"
                    " or '.', starting and ending alphanumeric"
                )
            if not _KEY.match(key.replace("_", "-")):
                raise ValueError(f"tag key {key!r}: use lower-case letters, digits, '-' or '_'")

    def _all(self) -> dict[str, object]:
        return {
            "team": self.team,
            "environment": self.environment,
            "cost_center": self.cost_center,
            **schema.extra(self),
        }

    def as_dict(self) -> dict[str, str]:
        """Non-empty tags with kebab-case keys (`cost_center` -> `cost-center`)."""
        out: dict[str, str] = {}
        for key, value in self._all().items():
            if value:
                out[key.replace("_", "-")] = str(value)
        return out
