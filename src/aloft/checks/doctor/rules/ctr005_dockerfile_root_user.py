"""CTR005 dockerfile-root-user: the final image runs as root."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from aloft.checks.doctor.dockerfile import DOCKERFILES, parse
from aloft.checks.doctor.rules import Hit

if TYPE_CHECKING:
    from aloft.checks.doctor.engine import TextFile

ID = "CTR005"
FILES = DOCKERFILES
ROOT = frozenset({"root", "0", "root:root", "0:0"})


def check_file(file: TextFile) -> Iterator[Hit]:
    instructions = parse(file.text)
    if not instructions:
        return
    last_stage = instructions[-1].stage
    final = [i for i in instructions if i.stage == last_stage]
    users = [i for i in final if i.keyword == "USER"]
    if not users:
        start = final[0]
        yield Hit(
            start.line,
            1,
            "the final stage has no USER, so the container runs as root",
            start.line,
            0,
        )
    elif users[-1].args.split()[0] in ROOT:
        yield Hit(users[-1].line, 1, "the image switches back to USER root", users[-1].line, 0)
