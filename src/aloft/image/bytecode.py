"""Deterministic bytecode: `.pyc` files compiled ahead of time for a read-only root filesystem.

Compiled by an interpreter of the image's Python version (bytecode is the same on every CPU
architecture, so an amd64 machine compiles for arm64 too), with hash-based invalidation so no
source mtime is embedded, and PYTHONHASHSEED=0 so set constants marshal in a fixed order.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

from aloft.exceptions import OperationFailed

_COMPILE = r"""
import importlib.util, py_compile, sys
root = sys.argv[1]
for rel in sys.stdin.read().split("\0"):
    if not rel:
        continue
    source = root + "/" + rel
    py_compile.compile(
        source, importlib.util.cache_from_source(source), dfile="/" + rel, quiet=2,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
"""


@functools.cache
def interpreter(version: str) -> Path:
    """A Python `version` (major.minor) on this machine, to compile the image's bytecode with."""
    from aloft.pythons import find_interpreter  # the one place that finds interpreters

    found = find_interpreter(version)
    if found is not None:
        return found
    raise OperationFailed(
        f"no Python {version} on this machine to precompile the image's bytecode; "
        f"install one (e.g. `uv python install {version}`)"
    )


def compile_tree(root: Path, relative: list[str], version: str) -> None:
    """Write `__pycache__/*.pyc` beside each of `relative` (paths under `root`, as in the image)."""
    if not relative:
        return
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    result = subprocess.run(
        [str(interpreter(version)), "-s", "-c", _COMPILE, str(root)],
        input="\0".join(sorted(relative)),
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    if result.returncode != 0:
        raise OperationFailed(
            f"compiling bytecode failed: {result.stderr.strip().splitlines()[-1:]}"
        )


def cache_tag(version: str) -> str:
    major, minor = version.split(".")[:2]
    return f"cpython-{major}{minor}"
