"""The layers hold: `lint-imports` keeps the contracts in pyproject.toml (ARCHITECTURE.md), the
contracts do catch an import that runs back up the pipeline, and no module of the runtime takes
part in an import loop."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Each check runs over exactly one source tree, in a process of its own: the environment's
# editable install also puts this checkout's src/ on sys.path, and the aloft namespace package
# would merge the two.
_ISOLATE = """
import sys
src, checkout = sys.argv[1:3]
sys.path = [src] + [p for p in sys.path if p != checkout]
"""
_LINT = (
    _ISOLATE
    + """
from importlinter.cli import lint_imports_command
lint_imports_command(["--no-cache", "--no-logo", sys.argv[3]])
"""
)
# The runtime's direct imports, module -> modules, as JSON.
_EDGES = (
    _ISOLATE
    + """
import json
import grimp
graph = grimp.build_graph("aloft.runtime", cache_dir=None)
print(json.dumps({m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}))
"""
)


def _in(src: Path, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, str(src), str(ROOT / "src"), *args],
        cwd=src,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _lint_imports(src: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports over the aloft sources in `src`, with the repository's contracts."""
    return _in(src, _LINT, str(ROOT / "pyproject.toml"))


def test_the_import_contracts_are_kept() -> None:
    result = _lint_imports(ROOT / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert " BROKEN" not in result.stdout


def test_an_import_back_up_the_layers_breaks_the_contract(tmp_path: Path) -> None:
    """kube importing checks (what kube/deploy.py did for its gate) is caught, named."""
    shutil.copytree(ROOT / "src" / "aloft", tmp_path / "src" / "aloft")
    spec = tmp_path / "src" / "aloft" / "kube" / "spec.py"
    spec.write_text(spec.read_text() + "\nfrom aloft.checks.findings import Severity\n")
    result = _lint_imports(tmp_path / "src")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "aloft.kube is not allowed to import aloft.checks" in result.stdout
    assert "aloft.kube.spec -> aloft.checks.findings" in result.stdout


def _loops(modules: set[str], imports: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), i.e. import loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(imports[module] & modules):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                loops.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return loops


def _runtime_loops(src: Path) -> list[list[str]]:
    """Import loops among the runtime's modules. A module importing a package it is inside is
    left out: Python imports that package first whatever the module says."""
    result = _in(src, _EDGES)
    assert result.returncode == 0, result.stderr
    edges: dict[str, list[str]] = json.loads(result.stdout)
    imports = {
        module: {other for other in imported if not module.startswith(other + ".")}
        for module, imported in edges.items()
    }
    return _loops(set(edges), imports)


def test_no_runtime_module_is_in_an_import_loop() -> None:
    assert _runtime_loops(ROOT / "src") == []


def test_the_loop_check_finds_a_planted_loop(tmp_path: Path) -> None:
    runtime = tmp_path / "src" / "aloft" / "runtime"
    runtime.mkdir(parents=True)
    (runtime / "__init__.py").write_text("")
    (runtime / "one.py").write_text("from aloft.runtime import two\n")
    (runtime / "two.py").write_text("from aloft.runtime import three\n")
    (runtime / "three.py").write_text("import aloft.runtime.one\n")
    (runtime / "alone.py").write_text("from aloft.runtime import one\n")
    assert _runtime_loops(tmp_path / "src") == [
        ["aloft.runtime.one", "aloft.runtime.three", "aloft.runtime.two"]
    ]
