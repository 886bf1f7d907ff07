"""`[tool.aloft] include` / `exclude`: the one rule for which project files are the app.

Gitignore-syntax patterns, applied alike by `aloft build`, `aloft lambda package` and the
`.dockerignore` of `aloft dockerfile` (see aloft.bundle.files for the precedence and defaults).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# Top-level keys of [tool.aloft] that belong here rather than to the serve options.
KEYS = ("include", "exclude")


class FileSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include: list[str] = Field(
        default_factory=list,
        description="patterns shipped even if .gitignore or aloft's secret/test deny-list would "
        "leave them out (also allows a listed symlink that points out of the project)",
    )
    exclude: list[str] = Field(
        default_factory=list, description="patterns never shipped (wins over include)"
    )
