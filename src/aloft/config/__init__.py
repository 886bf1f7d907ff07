"""The project config: `[tool.aloft]` in the app's pyproject.toml, overridable by ALOFT_* vars.

Resolved once, at the start of the pipeline, and handed down as a typed value.
"""

import os

# pydantic looks for plugins at the first model it builds: it reads the entry points of every
# installed distribution (8 ms in a venv of 150) and imports each plugin it finds, which aloft's
# own config models never want. PYDANTIC_DISABLE_PLUGINS is pydantic's switch for that; it is set
# only while these models are built, then restored, so the app's models (in this process or in
# one aloft starts) still get their plugins. Every aloft.config module is built from here: this
# package runs before any of its modules.
_PLUGINS = "PYDANTIC_DISABLE_PLUGINS"
_plugins_setting = os.environ.get(_PLUGINS)
os.environ[_PLUGINS] = "__all__"
try:
    from aloft.config.loader import ResolvedConfig, find_pyproject, flatten, load_config
    from aloft.config.model import SECTIONS, ProjectConfig
finally:
    if _plugins_setting is None:
        del os.environ[_PLUGINS]
    else:
        os.environ[_PLUGINS] = _plugins_setting

__all__ = [
    "SECTIONS",
    "ProjectConfig",
    "ResolvedConfig",
    "find_pyproject",
    "flatten",
    "load_config",
]
