"""Put src/aloft/runtime into aloft-runtime's sdist and wheels (editable installs point at src/).

The sources live in the repository's src/ tree, two levels up. An sdist carries a copy under its
own src/aloft/runtime, so a wheel built from the sdist (what `uv build` does) finds them there.
"""

from __future__ import annotations

import os
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

PACKAGE = os.path.join("aloft", "runtime")


class RuntimeSources(BuildHookInterface):  # type: ignore[misc]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            return
        in_sdist = os.path.join(self.root, "src", PACKAGE)
        in_repository = os.path.normpath(os.path.join(self.root, "..", "..", "src", PACKAGE))
        source = in_sdist if os.path.isdir(in_sdist) else in_repository
        if not os.path.isfile(os.path.join(source, "__init__.py")):
            raise FileNotFoundError(f"aloft-runtime: no runtime sources at {source}")
        target = os.path.join("src", PACKAGE) if self.target_name == "sdist" else PACKAGE
        build_data["force_include"][source] = target
