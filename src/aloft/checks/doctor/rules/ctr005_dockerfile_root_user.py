"""CTR005 dockerfile-root-user: an image that runs in production runs as root.

Checked: the final stage, and any stage named for production (`AS runtime`, `AS prod`, ...) that a
`--target` build would ship, following `FROM <stage>` for an inherited USER. Not checked: dev
containers (`.devcontainer/`), which run on a developer's machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from aloft.checks.doctor.dockerfile import (
    DOCKERFILES,
    Instruction,
    flags_removed,
    is_dev_container,
    parse,
)
from aloft.checks.doctor.rules import SourceHit

if TYPE_CHECKING:
    from aloft.checks.doctor.engine import TextFile

ID = "CTR005"
FILES = DOCKERFILES
ROOT = frozenset({"root", "0", "root:root", "0:0"})
PRODUCTION_STAGE = re.compile(r"(?i)^(prod|production|runtime|release|final|app|server|web|api)$")


def check_file(file: TextFile) -> Iterator[SourceHit]:
    if is_dev_container(file.rel):
        return
    instructions = parse(file.text)
    stages: dict[int, list[Instruction]] = {}
    for instruction in instructions:
        stages.setdefault(instruction.stage, []).append(instruction)
    froms = {n: next((i for i in body if i.keyword == "FROM"), None) for n, body in stages.items()}
    names = {_stage_name(f): n for n, f in froms.items() if f is not None and _stage_name(f)}
    if not stages:
        return
    last = max(stages)
    for number, body in sorted(stages.items()):
        start = froms[number]
        if start is None or not (number == last or PRODUCTION_STAGE.match(_stage_name(start))):
            continue
        user = _user_of(number, stages, froms, names)
        which = "the final stage" if number == last else f"stage {_stage_name(start)!r}"
        if user is None:
            yield SourceHit(
                start.line, 1, f"{which} has no USER, so the container runs as root", start.line, 0
            )
        elif user.args.split()[0] in ROOT and user in body:
            yield SourceHit(user.line, 1, "the image switches back to USER root", user.line, 0)


def _stage_name(instruction: Instruction) -> str:
    parts = flags_removed(instruction.args).split()
    return parts[2] if len(parts) >= 3 and parts[1].lower() == "as" else ""


def _user_of(
    number: int,
    stages: dict[int, list[Instruction]],
    froms: dict[int, Instruction | None],
    names: dict[str, int],
) -> Instruction | None:
    """The USER in effect at the end of a stage, inherited through `FROM <earlier stage>`."""
    seen: set[int] = set()
    while number not in seen:
        seen.add(number)
        users = [i for i in stages[number] if i.keyword == "USER"]
        if users:
            return users[-1]
        start = froms[number]
        base = flags_removed(start.args).split()[0] if start and start.args else ""
        if base not in names:
            return None
        number = names[base]
    return None
