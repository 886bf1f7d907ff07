"""`[tool.aloft.tags]`: the one source of cost-allocation tags and labels for every target."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, model_validator

# The intersection of what AWS tags and Kubernetes label values accept, so one table serves both.
_VALUE = re.compile(r"^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$")
_KEY = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


class Tags(BaseModel):
    """team, service, environment, cost-center and any other key: tags on AWS, labels on k8s."""

    model_config = ConfigDict(extra="allow")

    team: str = Field(default="", description="the owning team")
    environment: str = Field(default="", description="e.g. prod or staging")
    cost_center: str = Field(default="", description="the cost center (key cost-center)")

    @model_validator(mode="after")
    def _label_safe(self) -> Tags:
        for key, value in self.model_dump().items():
            if not isinstance(value, str) or not _VALUE.match(value):
                raise ValueError(
                    f"tag {key} = {value!r}: use a string of at most 63 letters, digits, '-', '_'"
                    " or '.', starting and ending alphanumeric"
                )
            if not _KEY.match(key.replace("_", "-")):
                raise ValueError(f"tag key {key!r}: use lower-case letters, digits, '-' or '_'")
        return self

    def as_dict(self) -> dict[str, str]:
        """Non-empty tags with kebab-case keys (`cost_center` -> `cost-center`)."""
        out: dict[str, str] = {}
        for key, value in self.model_dump().items():
            if value:
                out[key.replace("_", "-")] = str(value)
        return out
