"""Put src/aloft/runtime into release wheels of aloft-runtime (editable installs point at src/)."""

from __future__ import annotations

import os
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class RuntimeSources(BuildHookInterface):  # type: ignore[misc]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        source = os.path.normpath(os.path.join(self.root, "..", "..", "src", "aloft", "runtime"))
        build_data["force_include"][source] = "aloft/runtime"
