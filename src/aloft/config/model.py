"""The whole project config: `[tool.aloft]` and its sub-tables, one typed model.

Top-level keys of `[tool.aloft]` are the serve options (shared with the runtime, which reads them
from `ALOFT_*`); each capability owns one sub-table in its own module under `aloft.config` and is
listed in SECTIONS below. Adding a capability is adding a module and one line here.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from aloft.config.cost import CostSettings
from aloft.config.doctor import DoctorConfig
from aloft.config.files import FileSettings
from aloft.config.image import ImageSettings
from aloft.config.kubernetes import KubernetesSettings
from aloft.config.lambda_ import LambdaSettings
from aloft.config.tags import Tags
from aloft.config.tracing import TracingSettings
from aloft.runtime.options import ServeOptions


class ProjectConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    serve: ServeOptions = Field(default_factory=ServeOptions)
    # [tool.aloft] include/exclude: top-level keys, routed here by the loader.
    files: FileSettings = Field(default_factory=FileSettings)
    tags: Tags = Field(default_factory=Tags)
    image: ImageSettings = Field(default_factory=ImageSettings)
    cost: CostSettings = Field(default_factory=CostSettings)
    doctor: DoctorConfig = Field(default_factory=DoctorConfig)
    lambda_: LambdaSettings = Field(default_factory=LambdaSettings, alias="lambda")
    kubernetes: KubernetesSettings = Field(default_factory=KubernetesSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)

    def runtime_env(
        self, serve: ServeOptions | None = None, *, server: bool = True
    ) -> dict[str, str]:
        """The one builder of the environment the runtime reads, for every target: the serve
        options as ALOFT_* (`serve` when a target adjusts them, such as a Kubernetes service's
        name; `server=False` for Lambda) and the tracing settings as OTEL_*."""
        return {**(serve or self.serve).to_env(server=server), **self.tracing.to_env()}


# Sub-tables of [tool.aloft], by key; everything else at the top level is a serve option.
SECTIONS: dict[str, type[BaseModel]] = {
    "tags": Tags,
    "image": ImageSettings,
    "cost": CostSettings,
    "doctor": DoctorConfig,
    "lambda": LambdaSettings,
    "kubernetes": KubernetesSettings,
    "tracing": TracingSettings,
}

# [tool.aloft.environments.<name>] overlays the base; not a section of its own.
ENVIRONMENTS_KEY = "environments"


def section_names() -> list[str]:
    return sorted(SECTIONS)


def annotation_at(path: tuple[str, ...]) -> Any:
    """The declared type of the setting at `path` (e.g. ("serve", "port")), or None if unknown."""
    owner: Any = ProjectConfig
    annotation: Any = None
    for part in path:
        fields = _fields_of(owner)
        if fields is None or part not in fields:
            return None
        annotation = owner = fields[part]
    return annotation


def _fields_of(owner: Any) -> dict[str, Any] | None:
    if isinstance(owner, type) and issubclass(owner, BaseModel):
        # TOML keys are the aliases where a field has one ([tool.aloft.cost.lambda] -> lambda_).
        return {(f.alias or name): f.annotation for name, f in owner.model_fields.items()}
    if dataclasses.is_dataclass(owner):
        return dict(typing.get_type_hints(owner))
    return None
