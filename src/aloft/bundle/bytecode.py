"""Deterministic bytecode: `.pyc` files compiled ahead of time, for images and Lambda zips alike.

Compiled only by an interpreter of the target's Python version (bytecode is the same on every CPU
architecture, so an amd64 machine compiles for arm64 too, but never across Python versions), with
unchecked-hash invalidation so no source mtime is embedded and a read-only file system never makes
Python stat or rewrite a source, the deployed file names recorded (not this build's scratch
folder), and PYTHONHASHSEED=0 so set constants marshal in a fixed order.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from aloft.exceptions import OperationFailed

# Run by the target interpreter. Bytecode-only modules get x.pyc beside x.py (importable once the
# source is gone); the others, and every package __init__, go to __pycache__.
_COMPILE = r"""
import importlib.util, os, py_compile, sys
tree, deployed, sourceless = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
listed = sys.stdin.read().split("\0")
mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
for rel in sorted(r for r in listed if r):
    source = os.path.join(tree, rel)
    name = os.path.basename(rel)
    bare = sourceless and name != "__init__.py"
    target = source + "c" if bare else importlib.util.cache_from_source(source)
    py_compile.compile(
        source, target, dfile=deployed.rstrip("/") + "/" + rel, quiet=2, invalidation_mode=mode
    )
"""


def python_version_of(interpreter: Path) -> str:
    """The interpreter's major.minor, or "" if it does not run."""
    from aloft import pythons

    full = pythons.interpreter_version(str(interpreter))
    return pythons.minor_of(full) if full else ""


def compile_tree(
    tree: Path,
    interpreter: Path,
    deployed: str,
    *,
    files: list[str] | None = None,
    bytecode_only: bool = False,
    debug_ranges: bool = True,
) -> None:
    """Precompile `tree` (or only `files`, relative to it) as it will sit at `deployed`.

    With `bytecode_only`, sources are removed once compiled, except package `__init__` modules:
    lazy-import helpers read them (anyio builds its lazy attribute map from
    `inspect.getsource` of its `__init__`). Without `debug_ranges` the column tables (PEP 657,
    about a quarter of a .pyc) are left out; line numbers stay. A file the target cannot
    compile stays as source only, and fails at import as it would have anyway.
    """
    relative = files if files is not None else _sources(tree)
    if not relative:
        return
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    run = subprocess.run(
        [
            str(interpreter),
            "-S",
            *([] if debug_ranges else ["-X", "no_debug_ranges"]),
            "-c",
            _COMPILE,
            str(tree),
            deployed or "/",
            "1" if bytecode_only else "0",
        ],
        input="\0".join(relative),
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if run.returncode != 0:
        raise OperationFailed(
            f"precompiling bytecode with {interpreter} failed: {run.stderr.strip()[-300:]}"
        )
    if bytecode_only:
        for rel in relative:
            source = tree / rel
            if source.name != "__init__.py" and source.with_suffix(".pyc").is_file():
                source.unlink()


def _sources(tree: Path) -> list[str]:
    return sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*.py") if p.is_file())


def cache_tag(version: str) -> str:
    major, minor = version.split(".")[:2]
    return f"cpython-{major}{minor}"
