"""`[tool.aloft] include` / `exclude`: the one rule for which project files are the app.

Gitignore-syntax patterns, applied alike by `aloft build`, `aloft lambda package` and the
`.dockerignore` of `aloft dockerfile` (see aloft.bundle.files for the precedence and defaults).
"""

from __future__ import annotations

from aloft.config.schema import setting, table

# Top-level keys of [tool.aloft] that belong here rather than to the serve options.
KEYS = ("include", "exclude")


@table
class FileSettings:
    include: list[str] = setting(
        default_factory=list,
        doc="patterns shipped even if .gitignore or aloft's secret/test deny-list would "
        "leave them out (also allows a listed symlink that points out of the project)",
    )
    exclude: list[str] = setting(
        default_factory=list, doc="patterns never shipped (wins over include)"
    )
