"""aloft's config models are built without pydantic's plugin lookup (importlib.metadata, a scan of
every installed distribution, an import of each plugin found); app models keep their plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PLUGIN = """
SEEN = []


class Plugin:
    def new_schema_validator(self, schema, schema_type, path, kind, config, settings):
        SEEN.append(path.name)
        return None, None, None


plugin = Plugin()
"""

PROBE = """
import json, os, sys

import aloft.config

loaded_by_aloft = "probe_plugin" in sys.modules
metadata_by_aloft = "importlib.metadata" in sys.modules
setting_after = os.environ.get("PYDANTIC_DISABLE_PLUGINS")

from pydantic import BaseModel


class AppModel(BaseModel):
    x: int = 0


probe = sys.modules.get("probe_plugin")
print(json.dumps({
    "loaded_by_aloft": loaded_by_aloft,
    "metadata_by_aloft": metadata_by_aloft,
    "setting_after": setting_after,
    "seen": probe.SEEN if probe else None,
}))
"""


@pytest.fixture
def plugin_site(tmp_path: Path) -> Path:
    """A folder on sys.path holding a real pydantic plugin, found through its entry point."""
    (tmp_path / "probe_plugin.py").write_text(textwrap.dedent(PLUGIN))
    info = tmp_path / "probe_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: probe-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pydantic]\nprobe = probe_plugin:plugin\n")
    return tmp_path


def _probe(site: Path, **env: str) -> dict[str, object]:
    environ = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    environ["PYTHONPATH"] = os.pathsep.join([str(site), *sys.path])
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_config_models_skip_the_plugin_lookup_and_app_models_still_get_plugins(
    plugin_site: Path,
) -> None:
    result = _probe(plugin_site)
    assert result["loaded_by_aloft"] is False
    assert result["metadata_by_aloft"] is False  # nor the 26 ms of importlib.metadata
    assert result["setting_after"] is None  # nothing left behind for the app or its children
    assert result["seen"] == ["AppModel"]  # the app's model, and none of aloft's


def test_a_users_own_plugin_setting_is_left_alone(plugin_site: Path) -> None:
    result = _probe(plugin_site, PYDANTIC_DISABLE_PLUGINS="some_other_plugin")
    assert result["setting_after"] == "some_other_plugin"
    assert result["seen"] == ["AppModel"]


def test_the_stand_in_serves_any_other_name_from_the_real_lookup_module() -> None:
    from aloft.config._plugins import LOOKUP, without_plugins

    with without_plugins():
        stand_in = sys.modules[LOOKUP]
        assert list(stand_in.get_plugins()) == []
        # A name a newer pydantic might ask for: read from a private copy of the real module.
        assert stand_in.PYDANTIC_ENTRY_POINT_GROUP == "pydantic"
    assert sys.modules.get(LOOKUP) is not stand_in
