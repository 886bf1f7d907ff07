"""CTR006 dockerfile-single-stage: one stage that both builds and runs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from aloft.checks.doctor.dockerfile import DOCKERFILES, INSTALL_COMMANDS, is_dev_container, parse
from aloft.checks.doctor.rules import SourceHit

if TYPE_CHECKING:
    from aloft.checks.doctor.engine import TextFile

ID = "CTR006"
FILES = DOCKERFILES


def check_file(file: TextFile) -> Iterator[SourceHit]:
    if is_dev_container(file.rel):
        return
    instructions = parse(file.text)
    froms = [i for i in instructions if i.keyword == "FROM"]
    installs = any(
        i.keyword == "RUN" and any(cmd in i.args for cmd in INSTALL_COMMANDS) for i in instructions
    )
    if len(froms) == 1 and installs:
        yield SourceHit(
            froms[0].line,
            1,
            "single-stage build: build tools and caches ship in the runtime image",
            froms[0].line,
            0,
        )
