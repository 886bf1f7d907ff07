"""Every package the tooling imports is one it declares: a transitive dependency that happens to
be installed today (jsonschema came with kubernetes-validate) is gone the day that one drops it.

The runtime (src/aloft/runtime) is its own distribution with no dependencies: what it imports
beyond the standard library is the app's (its server, framework or client), imported lazily, so
it is not checked here.
"""

from __future__ import annotations

import ast
import importlib.metadata
import sys

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from testkit import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

TOOLING = REPO / "src" / "aloft"


def _imported_modules() -> dict[str, set[str]]:
    """Top-level module -> the tooling files that import it (absolute imports only)."""
    found: dict[str, set[str]] = {}
    for path in sorted(TOOLING.rglob("*.py")):
        relative = path.relative_to(TOOLING)
        if relative.parts[0] == "runtime":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("aloft", "_thread"):
                    found.setdefault(top, set()).add(str(relative))
    return found


def _declared() -> set[str]:
    """Distributions the tool declares: dependencies and optional extras, any marker."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = [*project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        requirements.extend(extra)
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def test_every_import_of_the_tooling_is_a_declared_dependency() -> None:
    providers = importlib.metadata.packages_distributions()
    declared = _declared()
    undeclared = {}
    for module, files in _imported_modules().items():
        # tomli is declared for Python < 3.11 only, and may be missing from a newer environment.
        distributions = providers.get(module, ["tomli"] if module == "tomli" else [])
        assert distributions, f"{module} (imported by {sorted(files)}) is not installed"
        if not {canonicalize_name(d) for d in distributions} & declared:
            undeclared[module] = sorted(files)
    assert undeclared == {}
