"""The project config: `[tool.aloft]` in the app's pyproject.toml, overridable by ALOFT_* vars.

Resolved once, at the start of the pipeline, and handed down as a typed value.
"""

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
