"""CTR008 dockerfile-unpinned-base: FROM an image with no tag, or :latest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from aloft.checks.doctor.dockerfile import DOCKERFILES, flags_removed, is_dev_container, parse
from aloft.checks.doctor.rules import SourceHit

if TYPE_CHECKING:
    from aloft.checks.doctor.engine import TextFile

ID = "CTR008"
FILES = DOCKERFILES


def check_file(file: TextFile) -> Iterator[SourceHit]:
    if is_dev_container(file.rel):
        return
    stages: set[str] = set()
    for instruction in parse(file.text):
        if instruction.keyword != "FROM":
            continue
        words = flags_removed(instruction.args).split()
        if not words:
            continue
        image = words[0]
        if len(words) >= 3 and words[1].lower() == "as":
            stages.add(words[2].lower())
        if image.lower() in stages or image == "scratch" or "$" in image or "@sha256:" in image:
            continue
        name = image.rsplit("/", 1)[-1]
        tag = name.split(":", 1)[1] if ":" in name else ""
        if not tag or tag == "latest":
            yield SourceHit(
                instruction.line,
                1,
                f"base image {image} is not pinned to a version",
                instruction.line,
                0,
            )
