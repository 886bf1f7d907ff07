"""The whole project config: `[tool.aloft]` and its sub-tables, one typed model.

Top-level keys of `[tool.aloft]` are the serve options (shared with the runtime, which reads them
from `ALOFT_*`); each capability owns one sub-table in its own module under `aloft.config` and is
listed in SECTIONS below. Adding a capability is adding a module and one line here.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from aloft.config.cost import CostSettings
from aloft.config.doctor import DoctorConfig
from aloft.config.files import FileSettings
from aloft.config.image import ImageSettings
from aloft.config.kubernetes import KubernetesSettings
from aloft.config.lambda_ import LambdaSettings
from aloft.config.schema import is_table, setting, table, table_keys
from aloft.config.tags import Tags
from aloft.config.tracing import TracingSettings
from aloft.runtime.options import ServeOptions


@table
class ProjectConfig:
    serve: ServeOptions = setting(default_factory=ServeOptions)
    # [tool.aloft] include/exclude: top-level keys, routed here by the loader.
    files: FileSettings = setting(default_factory=FileSettings)
    tags: Tags = setting(default_factory=Tags)
    image: ImageSettings = setting(default_factory=ImageSettings)
    cost: CostSettings = setting(default_factory=CostSettings)
    doctor: DoctorConfig = setting(default_factory=DoctorConfig)
    lambda_: LambdaSettings = setting(default_factory=LambdaSettings, key="lambda")
    kubernetes: KubernetesSettings = setting(default_factory=KubernetesSettings)
    tracing: TracingSettings = setting(default_factory=TracingSettings)

    def runtime_env(
        self, serve: ServeOptions | None = None, *, server: bool = True
    ) -> dict[str, str]:
        """The one builder of the environment the runtime reads, for every target: the serve
        options as ALOFT_* (`serve` when a target adjusts them, such as a Kubernetes service's
        name; `server=False` for Lambda) and the tracing settings as OTEL_*."""
        return {**(serve or self.serve).to_env(server=server), **self.tracing.to_env()}


# Sub-tables of [tool.aloft], by key; everything else at the top level is a serve option.
SECTIONS: dict[str, type[Any]] = {
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
    """The declared type of the setting at `path` (e.g. ("serve", "port")), or None if unknown.

    Only fields of tables: a key inside a table of tables (`functions.api`) has no declared type
    here, so no ALOFT_* variable reaches it (see table_at for the table such a key holds).
    """
    owner: Any = ProjectConfig
    annotation: Any = None
    for part in path:
        if not is_table(owner) or part not in table_keys(owner):
            return None
        annotation = owner = table_keys(owner)[part]
    return annotation


def table_at(loc: tuple[str | int, ...]) -> type[Any] | None:
    """The config table at `loc` as a validation problem names it, stepping through tables of
    tables and arrays of tables (("lambda", "functions", "api") -> LambdaFunction), or None."""
    owner: Any = ProjectConfig
    for part in loc:
        owner = _required(owner)
        origin = typing.get_origin(owner)
        if origin is dict:  # `part` names one table of the dict
            owner = typing.get_args(owner)[1]
        elif origin is list:  # `part` is an index into the array
            owner = typing.get_args(owner)[0]
        elif is_table(owner) and str(part) in table_keys(owner):
            owner = table_keys(owner)[str(part)]
        else:
            return None
    owner = _required(owner)
    return owner if is_table(owner) else None


def _required(hint: Any) -> Any:
    """X for `X | None`; any other hint as it is."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and len(args) == 1:
        return args[0]
    return hint
