"""CTR007 dockerfile-code-before-deps: the source is copied before dependencies are installed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from aloft.checks.doctor.dockerfile import (
    DOCKERFILES,
    INSTALL_COMMANDS,
    Instruction,
    flags_removed,
    is_dev_container,
    parse,
)
from aloft.checks.doctor.rules import SourceHit

if TYPE_CHECKING:
    from aloft.checks.doctor.engine import TextFile

ID = "CTR007"
FILES = DOCKERFILES
WHOLE_TREE = (".", "./", "*", "./*")


def check_file(file: TextFile) -> Iterator[SourceHit]:
    if is_dev_container(file.rel):
        return
    copied_tree = None
    for instruction in parse(file.text):
        if instruction.keyword == "FROM":
            copied_tree = None
        elif instruction.keyword in ("COPY", "ADD") and "--from" not in instruction.args:
            sources = flags_removed(instruction.args).split()[:-1]
            if any(s in WHOLE_TREE for s in sources):
                copied_tree = instruction
        elif copied_tree is not None and _installs_dependencies(instruction):
            message = (
                f"the whole source is copied (line {copied_tree.line}) before dependencies are "
                f"installed (line {instruction.line}), so every code change reinstalls them"
            )
            yield SourceHit(copied_tree.line, 1, message, copied_tree.line, 0)
            copied_tree = None


def _installs_dependencies(instruction: Instruction) -> bool:
    """A RUN that installs packages; `pip install --no-deps .` after the deps layer installs only
    the app itself."""
    args = instruction.args
    installs = any(cmd in args for cmd in INSTALL_COMMANDS)
    return instruction.keyword == "RUN" and installs and "--no-deps" not in args
