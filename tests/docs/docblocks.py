"""The fenced code blocks of README.md and docs/**/*.md, as the example tests run them."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHELL = frozenset({"bash", "sh", "shell", "console"})
PYTHON = frozenset({"python", "py"})
TOML = frozenset({"toml"})
# `<!-- docs: syntax-only REASON -->` on the lines just above a block: check it, do not run it.
SYNTAX_ONLY = re.compile(r"<!--\s*docs:\s*syntax-only\b(?P<reason>.*?)-->")
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)[^\n]*$")


@dataclasses.dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    syntax_only: str | None  # the marker's reason, or None to run the block

    @property
    def id(self) -> str:
        path = self.path.relative_to(REPO) if self.path.is_relative_to(REPO) else self.path
        return f"{path}:{self.line}"

    def shell_script(self) -> str:
        """The commands of the block: a console block's `$ ` lines, any other block whole."""
        if self.lang != "console":
            return self.code
        commands = []
        lines = iter(self.code.splitlines())
        for line in lines:
            if not line.startswith("$ "):
                continue  # output
            command = line[2:]
            while command.endswith("\\"):
                command += "\n" + next(lines, "")
            commands.append(command)
        return "\n".join(commands) + "\n"


def documents() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def blocks(path: Path) -> list[Block]:
    """Every fenced block of one Markdown file, with the syntax-only marker above it, if any."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            line = lines[end]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            end += 1
        code = "\n".join(body) + "\n"
        found.append(Block(path, index + 1, opening["lang"].lower(), code, _marker(lines, index)))
        index = end + 1
    return found


def _marker(lines: list[str], fence: int) -> str | None:
    """The reason of a syntax-only marker among the comment lines right above the fence."""
    above = fence - 1
    while above >= 0 and (not lines[above].strip() or lines[above].strip().startswith("<!--")):
        match = SYNTAX_ONLY.search(lines[above])
        if match:
            return match["reason"].strip()
        above -= 1
    return None


def all_blocks() -> list[Block]:
    return [block for path in documents() for block in blocks(path)]


_SHELL_BREAKS = frozenset({">", ">>", "|", "&&", "||", ";", "<", "&"})
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def aloft_invocations(script: str) -> list[list[str]]:
    """The arguments of each `aloft ...` command in a shell script: continuation lines joined,
    leading `NAME=value` assignments dropped, cut at the first redirection or shell operator.
    A bare `aloft` (e.g. a completion request, which reads its words from the environment) has
    no arguments to check and is left out."""
    import shlex

    found = []
    for line in script.replace("\\\n", " ").splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:  # a quote continued on the next line: not a simple command
            continue
        while words and _ASSIGNMENT.match(words[0]):
            words = words[1:]
        if words[:1] != ["aloft"]:
            continue
        end = next(
            (
                i
                for i, word in enumerate(words)
                if word in _SHELL_BREAKS or word.startswith((">", "2>", "<"))
            ),
            len(words),
        )
        if end > 1:
            found.append(words[1:end])
    return found
