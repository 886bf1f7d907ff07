"""A Dockerfile as a list of instructions (line, keyword, arguments), joined across `\\` lines."""

from __future__ import annotations

import dataclasses
import re

DOCKERFILES = ("Dockerfile", "Dockerfile.*", "*.Dockerfile", "*.dockerfile", "Containerfile")
# RUN commands that install a project's dependencies (CTR006, CTR007).
INSTALL_COMMANDS = (
    "pip install",
    "pip3 install",
    "uv sync",
    "uv pip install",
    "poetry install",
    "pipenv install",
)
# Dev containers run on a developer's machine (VS Code, Codespaces), never in production.
DEV_FOLDERS = frozenset({".devcontainer", ".devcontainers"})


def is_dev_container(rel: str) -> bool:
    return bool(DEV_FOLDERS.intersection(rel.split("/")[:-1]))


@dataclasses.dataclass(frozen=True)
class Instruction:
    line: int
    keyword: str
    args: str
    stage: int


def parse(text: str) -> list[Instruction]:
    instructions: list[Instruction] = []
    pending = ""
    start = 0
    stage = -1
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        full = (pending + stripped).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        # ARGs before the first FROM belong to no stage; -1 keeps them out of stage 0.
        instructions.append(Instruction(start, keyword, args.strip(), stage))
    return instructions


def flags_removed(args: str) -> str:
    """Arguments without leading `--flag=value` options (COPY --chown=..., FROM --platform=...)."""
    return re.sub(r"^(--\S+\s+)*", "", args).strip()
