"""Moved to `aloft.bundle.bytecode` (one compile step for images and zips); kept for the base
image's standard-library compile, which calls it with a major.minor version."""

from __future__ import annotations

from pathlib import Path

from aloft.bundle import bytecode
from aloft.bundle.bytecode import cache_tag, interpreter

__all__ = ["cache_tag", "compile_tree", "interpreter"]


def compile_tree(root: Path, relative: list[str], version: str) -> None:
    """Write `__pycache__/*.pyc` beside each of `relative` (paths under `root`, as in the image)."""
    bytecode.compile_tree(root, interpreter(version), "/", files=relative)
