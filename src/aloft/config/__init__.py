"""The project config: `[tool.aloft]` in the app's pyproject.toml, overridable by ALOFT_* vars.

Resolved once, at the start of the pipeline, and handed down as a typed value.
"""

from aloft.config._plugins import without_plugins

# Every aloft.config module's models are built here (the package runs before its modules), so
# none of them pays for pydantic's plugin lookup (see _plugins).
with without_plugins():
    from aloft.config.loader import ResolvedConfig, find_pyproject, flatten, load_config
    from aloft.config.model import SECTIONS, ProjectConfig

__all__ = [
    "SECTIONS",
    "ProjectConfig",
    "ResolvedConfig",
    "find_pyproject",
    "flatten",
    "load_config",
]
