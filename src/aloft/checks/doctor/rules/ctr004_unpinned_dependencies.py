"""CTR004 unpinned-dependencies: no lock file, unpinned requirements, or no dependency list."""

from __future__ import annotations

import fnmatch
import re
import sys
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from aloft.checks.doctor.rules import SourceHit

if TYPE_CHECKING:
    from aloft.checks.doctor.engine import ProjectIndex

ID = "CTR004"

LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock", "pylock.toml", "pylock.*.toml")
REQUIREMENTS = "requirements*.txt"
PINNED = re.compile(r"^[A-Za-z0-9._\[\], -]+===?[^=<>~!*]+(\s*;.*)?$")
DECLARES = ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile", REQUIREMENTS)
TOOLING_WORDS = ("doc", "dev", "test", "lint", "ci", "typing", "mypy", "tox", "bench")


def check_project(index: ProjectIndex) -> Iterator[tuple[str, SourceHit]]:
    top = [f for f in index.files if "/" not in f]
    requirement_files = [f for f in index.files if _is_requirements(f)]
    locked = any(fnmatch.fnmatch(f, pattern) for f in top for pattern in LOCK_FILES)
    # A uv/Poetry workspace member is locked by the lock file at the workspace root above it.
    locked = locked or _locked_above(index.root)
    pinned_requirements = False
    for rel in requirement_files:
        text = index.read(rel) or ""
        loose = list(_unpinned(text))
        pinned_requirements = pinned_requirements or (not loose and bool(text.strip()))
        if loose and not _tooling(rel):
            # One finding per file: the file is what gets pinned (pip-compile, uv export).
            line, first = loose[0]
            more = f" and {len(loose) - 1} more" if len(loose) > 1 else ""
            yield (
                rel,
                SourceHit(line, 1, f"requirement {first!r}{more} not pinned with ==", line, 0),
            )
    if "pyproject.toml" in top and not locked and not pinned_requirements:
        line = _dependencies_line(index.read("pyproject.toml") or "")
        if line:
            yield (
                "pyproject.toml",
                SourceHit(line, 1, "dependencies are ranges and no lock file pins them", line, 0),
            )
    declared_above = any(
        (folder / name).exists() for folder in index.root.resolve().parents for name in DECLARES[:4]
    )
    if (
        not declared_above
        and not requirement_files
        and not any(fnmatch.fnmatch(f, p) for f in top for p in DECLARES)
    ):
        third_party = _third_party_imports(index)
        if third_party:
            rel, line, names = third_party
            yield (
                rel,
                SourceHit(
                    line,
                    1,
                    f"imports {', '.join(names)} but the project declares no dependencies",
                    line,
                    0,
                ),
            )


def _is_requirements(rel: str) -> bool:
    """requirements*.txt, *-requirements.txt and the files of a requirements/ folder, wherever
    they are (a service per folder keeps its own)."""
    path = PurePosixPath(rel)
    if path.suffix != ".txt":
        return False
    return (
        fnmatch.fnmatch(path.name, REQUIREMENTS)
        or path.name.endswith(("-requirements.txt", "_requirements.txt"))
        or "requirements" in path.parts[:-1]
    )


def _tooling(rel: str) -> bool:
    """Requirements for docs, tests, linting or development: never installed in the image."""
    stem = PurePosixPath(rel).stem.lower()
    return any(word in stem for word in TOOLING_WORDS)


def _locked_above(root: Path) -> bool:
    for folder in root.resolve().parents:
        if any(
            fnmatch.fnmatch(entry.name, pattern)
            for pattern in LOCK_FILES
            for entry in _entries(folder)
        ):
            return True
        if (folder / ".git").exists():
            return False  # the repository's root: nothing above it belongs to the project
    return False


def _entries(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.is_file()]
    except OSError:
        return []


def _unpinned(text: str) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip().rstrip("\\").strip()
        if (
            not line
            or line.startswith(("#", "-", "--"))
            or "://" in line
            or line.startswith((".", "/"))
        ):
            continue
        if not PINNED.match(line):
            yield number, line


def _dependencies_line(text: str) -> int:
    """The line of a non-empty dependency list in pyproject.toml, or 0."""
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        if re.match(r"^\s*dependencies\s*=\s*\[", line):
            rest = "".join(lines[number - 1 : number + 2])
            if not re.search(r"=\s*\[\s*\]", rest):
                return number
        if line.strip() == "[tool.poetry.dependencies]":
            return number
    return 0


def _third_party_imports(index: ProjectIndex) -> tuple[str, int, list[str]] | None:
    local = {name.split(".")[0] for name in index.modules} | {
        PurePosixPath(f).parts[0] for f in index.files
    }
    local |= {PurePosixPath(f).stem for f in index.files if f.endswith(".py")}
    first: tuple[str, int] | None = None
    names: set[str] = set()
    for facts in index.modules.values():
        for line, _, imported in facts.imports:
            top = imported.split(".")[0]
            if (
                top
                and top not in sys.stdlib_module_names
                and top not in local
                and top != "__future__"
            ):
                names.add(top)
                first = first or (facts.rel, line)
    if first is None:
        return None
    return first[0], first[1], sorted(names)
