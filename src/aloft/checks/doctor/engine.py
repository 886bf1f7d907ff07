"""Run doctor over a project: walk it once, one file at a time, and collect a Report.

Each file is read, parsed, checked and dropped before the next, so memory stays flat as the project
grows; only small per-module facts (imports, handler kinds) are kept for the cross-file rules.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import fnmatch
import io
import os
import stat
import tokenize
import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from aloft.checks.catalog import Catalog, load_catalog
from aloft.checks.doctor.config_file import ConfigFile
from aloft.checks.doctor.grammar import Broken, Interpreter, NewerGrammar, Parsed
from aloft.checks.doctor.rules import SourceHit, rule_modules
from aloft.checks.doctor.source import ProbePaths, PySource
from aloft.checks.findings import Finding, Location, Note, Report
from aloft.checks.suppress import Policy, Suppressions, parse_suppressions
from aloft.config import ResolvedConfig

CATALOG_PATH = Path(__file__).with_name("catalog.toml")
SYNTAX_RULE = "SRC001"
MAX_BYTES = 1_000_000
SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".tox",
        ".nox",
        ".eggs",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "build",
        "dist",
        "site-packages",
        ".idea",
        ".vscode",
    }
)
# Not service code: tests keep fake secrets and prints; migrations are generated.
DEFAULT_EXCLUDES = (
    "tests",
    "test",
    "**/tests",
    "**/test_*.py",
    "**/*_test.py",
    "**/conftest.py",
    "**/migrations",
    "docs",
    "bench",
    "benchmarks",
    # Test helpers shipped inside the package (`pkg/testing/`): fixtures, fake keys.
    "**/testing",
    # Third-party code copied into the tree: its authors', not the service's.
    "**/vendored",
    "**/vendor",
    "**/_vendor",
    "**/third_party",
    # Example and demo projects shipped beside a library or app: development setups.
    "examples",
    "example",
    "**/example_project",
    "**/demo_project",
)


def load_doctor_catalog() -> Catalog:
    return load_catalog(CATALOG_PATH)


@dataclasses.dataclass(frozen=True)
class DoctorOptions:
    policy: Policy = dataclasses.field(default_factory=Policy)
    exclude: tuple[str, ...] = ()
    probes: ProbePaths = dataclasses.field(default_factory=ProbePaths)
    max_bytes: int = MAX_BYTES
    # The project's aloft config, for the config rules; None when the folder has none.
    project: ResolvedConfig | None = None
    # Rule id -> its validated thresholds (the rule module's `Settings`), from [tool.aloft.doctor].
    rule_settings: Mapping[str, BaseModel] = dataclasses.field(default_factory=dict)
    # Pythons to parse newer grammar with; None finds them on this machine.
    interpreters: tuple[Interpreter, ...] | None = None


@dataclasses.dataclass(frozen=True)
class TextFile:
    rel: str
    text: str

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


@dataclasses.dataclass
class ModuleFacts:
    rel: str
    imports: list[tuple[int, int, str]]
    has_lambda_handler: bool
    # Rule id -> the small summary that rule's `summarise(src)` kept for its project check.
    summaries: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class ProjectIndex:
    """What cross-file rules may ask about: the file list and each module's import facts."""

    root: Path
    files: list[str]
    modules: dict[str, ModuleFacts]

    def read(self, rel: str) -> str | None:
        try:
            return read_regular(self.root / rel, MAX_BYTES).decode("utf-8", errors="replace")
        except OSError:
            return None


class NotRegularFile(OSError):
    """A FIFO, socket or device where a source file was expected: reading it could block."""


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of a regular file, refusing anything else without blocking on it.

    Opened non-blocking and checked with fstat on the open descriptor, so a FIFO named `pipe.py`
    (or a file swapped for one after the walk) is skipped rather than waited on forever.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(0, "not a regular file")
        if info.st_size > limit:
            raise FileTooLarge(0, f"{info.st_size} bytes is over the {limit}-byte limit")
        return fh.read(limit + 1)


class FileTooLarge(OSError):
    """Larger than doctor reads (generated or vendored code, data)."""


def excluded(rel: str, patterns: Iterable[str]) -> bool:
    """fnmatch-style globs on the relative path; a folder pattern covers what is under it, and
    `**/x` matches x at any depth, the top included."""
    parts = PurePosixPath(rel).parts
    for raw in patterns:
        pattern = raw.rstrip("/")
        tails = [pattern]
        if pattern.startswith("**/"):
            tails.append(pattern[3:])
            if "/" not in pattern[3:] and any(fnmatch.fnmatch(part, pattern[3:]) for part in parts):
                return True
        if any(fnmatch.fnmatch(rel, t) or fnmatch.fnmatch(rel, t + "/*") for t in tails):
            return True
    return False


def iter_files(root: Path, patterns: tuple[str, ...]) -> Iterator[str]:
    """Relative posix paths of the project's files, sorted, skipping tool and virtualenv dirs."""
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        rel_dir = here.relative_to(root).as_posix()
        kept = []
        for name in sorted(dirs):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if (
                name in SKIP_DIRS
                or name.endswith(".egg-info")
                or (here / name / "pyvenv.cfg").exists()
            ):
                continue
            if excluded(rel, patterns):
                continue
            kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if not excluded(rel, patterns):
                yield rel


class Doctor:
    def __init__(
        self, root: Path, options: DoctorOptions | None = None, catalog: Catalog | None = None
    ) -> None:
        self.root = root
        self.options = options or DoctorOptions()
        self.catalog = catalog or load_doctor_catalog()
        active = self.options.policy.active(self.catalog)
        modules = {k: m for k, m in rule_modules().items() if k in active}
        self.python_rules = [m for m in modules.values() if hasattr(m, "check")]
        self.file_rules = [m for m in modules.values() if hasattr(m, "check_file")]
        self.project_rules = [m for m in modules.values() if hasattr(m, "check_project")]
        self.config_rules = [m for m in modules.values() if hasattr(m, "check_config")]
        self.summary_rules = [m for m in modules.values() if hasattr(m, "summarise")]
        self.active = active
        self._unparsed: list[tuple[str, str]] = []

    def run(self) -> Report:
        report = Report("doctor", str(self.root), self.catalog.rules, self.catalog.principles)
        patterns = DEFAULT_EXCLUDES + self.options.exclude
        files: list[str] = []
        modules: dict[str, ModuleFacts] = {}
        suppressions = Suppressions()
        if self.root.is_file():
            candidates: Iterable[str] = [self.root.name]
            base = self.root.parent
        else:
            candidates = iter_files(self.root, patterns)
            base = self.root
        for rel in candidates:
            files.append(rel)
            rules = self._rules_for(rel)
            if rules is None:
                continue
            found = self._check_file(
                base=base,
                rel=rel,
                rules=rules,
                suppressions=suppressions,
                report=report,
                modules=modules,
            )
            report.extend(found)
        self._check_unparsed(base, report, modules)
        index = ProjectIndex(base, files, modules)
        for module in self.project_rules:
            for rel, hit in module.check_project(index):
                report.findings.append(self._finding(module.ID, rel, hit))
        if self.options.project is not None and self.config_rules and not self.root.is_file():
            self._check_config(self.options.project, base, files, suppressions, report)
        kept = [
            f
            for f in self.options.policy.apply(report.findings)
            if f.rule in self.active or f.rule == SYNTAX_RULE
        ]
        report.findings = [f for f in kept if not suppressions.covers(f)]
        report.suppressed = len(kept) - len(report.findings)
        report.sort()
        return report

    def _check_config(
        self,
        project: ResolvedConfig,
        base: Path,
        files: list[str],
        suppressions: Suppressions,
        report: Report,
    ) -> None:
        """Run the config rules on the project's pyproject.toml (it may sit above the checked
        folder); its `# aloft: ignore[...]` comments count like any file's."""
        rel = Path(os.path.relpath(project.pyproject, base)).as_posix()
        text = self._read(project.pyproject, rel, report)
        if text is None:
            return
        if rel not in files or self._rules_for(rel) is None:
            found, notes = parse_suppressions(rel, text, self.catalog, python=False)
            for suppression in found:
                suppressions.add(suppression)
            report.notes.extend(notes)
        config = ConfigFile(project, rel, text, self.options.rule_settings)
        for module in self.config_rules:
            for hit in module.check_config(config):
                report.findings.append(self._finding(module.ID, rel, hit))

    def _rules_for(self, rel: str) -> list[ModuleType] | None:
        if rel.endswith(".py"):
            return self.python_rules
        name = PurePosixPath(rel).name
        matched = [m for m in self.file_rules if any(fnmatch.fnmatch(name, p) for p in m.FILES)]
        return matched or None

    def _check_file(
        self,
        *,
        base: Path,
        rel: str,
        rules: list[ModuleType],
        suppressions: Suppressions,
        report: Report,
        modules: dict[str, ModuleFacts],
    ) -> list[Finding]:
        text = self._read(base / rel, rel, report)
        if text is None:
            return []
        report.files_checked += 1
        python = rel.endswith(".py")
        found, notes = parse_suppressions(rel, text, self.catalog, python=python)
        for suppression in found:
            suppressions.add(suppression)
        report.notes.extend(notes)
        if not python:
            file = TextFile(rel, text)
            return [self._finding(m.ID, rel, hit) for m in rules for hit in m.check_file(file)]
        try:
            with warnings.catch_warnings():
                # The project's own invalid escapes are its business, not lines on our stderr.
                warnings.simplefilter("ignore")
                tree = ast.parse(text, filename=rel)
        except SyntaxError:
            # Maybe newer grammar than ours: parsed later, in one batch, by a newer Python.
            self._unparsed.append((rel, text))
            return []
        except ValueError as exc:  # source with NUL bytes
            report.notes.append(Note(rel, f"skipped: {exc}"))
            return []
        except (RecursionError, MemoryError):
            report.notes.append(Note(rel, "skipped: nested too deeply for the parser"))
            return []
        return self._analyse(rel, text, tree, rules, report, modules)

    def _analyse(
        self,
        rel: str,
        text: str,
        tree: ast.Module,
        rules: list[ModuleType],
        report: Report,
        modules: dict[str, ModuleFacts],
    ) -> list[Finding]:
        src = PySource(rel, text, tree, self.options.probes)
        try:
            # A src/ layout imports its packages without the "src." prefix.
            modules[src.module.removeprefix("src.")] = ModuleFacts(
                rel,
                [(stmt.lineno, stmt.col_offset + 1, name) for stmt, name in src.top_level_imports],
                bool(src.handlers("lambda")),
                {m.ID: m.summarise(src) for m in self.summary_rules},
            )
            return [self._finding(m.ID, rel, hit) for m in rules for hit in m.check(src)]
        except RecursionError:
            # Rules walk with explicit stacks; this is the net under one that still recurses,
            # so a pathological file costs a note, never the whole report.
            report.notes.append(Note(rel, "skipped: nested too deeply to analyse"))
            return []

    def _check_unparsed(self, base: Path, report: Report, modules: dict[str, ModuleFacts]) -> None:
        """Files this Python could not parse: analysed with a newer one when the project uses
        newer grammar, a syntax error only when a Python the project admits rejects them."""
        if not self._unparsed:
            return
        outcomes = NewerGrammar(base, self.options.interpreters).parse(self._unparsed)
        for rel, _ in self._unparsed:
            outcome = outcomes[rel]
            if isinstance(outcome, Parsed):
                report.extend(
                    self._analyse(
                        rel, outcome.text, outcome.tree, self.python_rules, report, modules
                    )
                )
            elif isinstance(outcome, Broken):
                hit = SourceHit(
                    outcome.line,
                    outcome.column,
                    f"does not parse with {outcome.by}: {outcome.message}",
                    outcome.line,
                    0,
                )
                report.findings.append(self._finding(SYNTAX_RULE, rel, hit))
            else:
                report.notes.append(Note(rel, outcome.reason))
        self._unparsed = []

    def _read(self, path: Path, rel: str, report: Report) -> str | None:
        try:
            data = read_regular(path, self.options.max_bytes)
        except NotRegularFile:
            report.notes.append(Note(rel, "skipped: not a regular file (a FIFO, socket or device)"))
            return None
        except FileTooLarge as exc:
            report.notes.append(Note(rel, f"skipped: {exc.strerror}"))
            return None
        except OSError as exc:
            report.notes.append(Note(rel, f"skipped: cannot read ({exc.strerror})"))
            return None
        if b"\0" in data[:8192]:
            report.notes.append(Note(rel, "skipped: binary file"))
            return None
        try:
            encoding = (
                tokenize.detect_encoding(io.BytesIO(data).readline)[0]
                if rel.endswith(".py")
                else "utf-8"
            )
            return data.decode(encoding)
        except (SyntaxError, LookupError, UnicodeDecodeError):
            report.notes.append(
                Note(rel, "skipped: not valid text in its declared encoding (UTF-8 by default)")
            )
            return None

    def _finding(self, rule_id: str, rel: str, hit: SourceHit) -> Finding:
        rule = self.catalog.rules[rule_id]
        location = Location(rel, hit.line, hit.column, hit.end_line, hit.end_column)
        return Finding(
            rule_id, rule.severity, location, hit.message, rule.fix, rule.principle, rule.fixable
        )

    # ---- fixes ------------------------------------------------------------------------------

    def fixes(self, report: Report) -> list[FileFix]:
        """The safe rewrites for the report's fixable findings, one per file, not yet written."""
        base = self.root.parent if self.root.is_file() else self.root
        by_file: dict[str, dict[str, set[int]]] = {}
        for finding in report.findings:
            if finding.fixable:
                by_file.setdefault(finding.location.path, {}).setdefault(finding.rule, set()).add(
                    finding.location.line
                )
        modules = rule_modules()
        out = []
        for rel, rules in sorted(by_file.items()):
            path = base / rel
            old = path.read_text(encoding="utf-8")
            new = old
            for rule_id, lines in sorted(rules.items()):
                try:
                    tree = ast.parse(new)
                except SyntaxError:
                    break  # newer grammar than ours: rewriting it is not safe here
                src = PySource(rel, new, tree, self.options.probes)
                new = modules[rule_id].fix(src, lines) or new
            if new != old:
                out.append(FileFix(path, rel, old, new))
        return out


@dataclasses.dataclass(frozen=True)
class FileFix:
    path: Path
    rel: str
    old: str
    new: str

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.old.splitlines(keepends=True),
                self.new.splitlines(keepends=True),
                fromfile=f"a/{self.rel}",
                tofile=f"b/{self.rel}",
            )
        )

    def write(self) -> None:
        """Replace the file atomically: a temp file beside it, then a rename, keeping its mode."""
        tmp = self.path.with_name(f".{self.path.name}.aloft-fix.tmp")
        try:
            tmp.write_text(self.new, encoding="utf-8")
            os.chmod(tmp, self.path.stat().st_mode & 0o7777)
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)


def run_doctor(root: Path, options: DoctorOptions | None = None) -> Report:
    return Doctor(root, options).run()
