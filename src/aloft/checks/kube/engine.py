"""Run `aloft k8s check`: read manifests (files, folders, or objects aloft rendered), validate each
against the target version's schema, run every lint rule, apply suppressions, collect a Report."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path

from aloft.checks.catalog import Catalog, load_catalog
from aloft.checks.findings import Finding, Location, Note, Report
from aloft.checks.kube.rules import KubeContext, ManifestHit, rule_modules
from aloft.checks.suppress import Policy, Suppression, Suppressions, parse_suppressions
from aloft.exceptions import ConfigError
from aloft.kube import schema
from aloft.kube.manifest import IGNORE_ANNOTATION, Manifest, ident
from aloft.kube.versions import KubeVersion
from aloft.kube.yamlio import Document, load_documents

CATALOG_PATH = Path(__file__).with_name("catalog.toml")
SCHEMA_RULE = "KUB001"
SERVED_RULE = "KUB002"
UNREADABLE_RULE = "KUB003"
KUSTOMIZATION_FILES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
SUFFIXES = (".yaml", ".yml", ".json")
_IGNORE = re.compile(r"^\s*([A-Za-z0-9_,\s-]+?)\s*(?::\s*(.*))?$")


def load_kube_catalog() -> Catalog:
    return load_catalog(CATALOG_PATH)


@dataclasses.dataclass(frozen=True)
class CheckOptions:
    version: KubeVersion
    policy: Policy = dataclasses.field(default_factory=Policy)


def collect_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise ConfigError(f"{path}: no such file or folder; pass manifest files or folders")
    return files


@dataclasses.dataclass(frozen=True)
class Unreadable:
    """A file in the checked set that is not YAML/JSON manifests (a Helm template, say)."""

    path: str
    line: int
    message: str


@dataclasses.dataclass
class Manifests:
    docs: list[Document]
    texts: dict[str, str]
    unreadable: list[Unreadable]


def read_manifests(files: Iterable[Path], root: Path) -> Manifests:
    """Every file's documents; a file that does not parse is recorded, and the rest are read."""
    out = Manifests([], {}, [])
    for path in files:
        label = _relative(path, root)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            out.unreadable.append(Unreadable(label, 0, f"cannot read ({exc})"))
            continue
        out.texts[label] = text
        try:
            out.docs.extend(load_documents(path, text, label))
        except ConfigError as exc:
            # "label:LINE: problem" from the YAML reader; keep the line for the finding.
            message = str(exc).removeprefix(label)
            line_text, _, problem = message.lstrip(":").partition(": ")
            line = int(line_text) if line_text.isdigit() else 0
            out.unreadable.append(
                Unreadable(label, line, problem if line else message.lstrip(": "))
            )
    return out


def read_documents(files: Iterable[Path], root: Path) -> tuple[list[Document], dict[str, str]]:
    """The documents of files that must all parse (a file that does not is a ConfigError)."""
    manifests = read_manifests(files, root)
    if manifests.unreadable:
        first = manifests.unreadable[0]
        where = f"{first.path}:{first.line}" if first.line else first.path
        raise ConfigError(f"{where}: {first.message}")
    return manifests.docs, manifests.texts


def rendered_documents(objects: Iterable[Manifest], label: str) -> list[Document]:
    return [Document(label, 0, obj, {}) for obj in objects]


class KubeChecker:
    def __init__(self, options: CheckOptions, catalog: Catalog | None = None) -> None:
        self.options = options
        self.catalog = catalog or load_kube_catalog()

    def run(
        self,
        docs: list[Document],
        root: str,
        texts: dict[str, str] | None = None,
        unreadable: Iterable[Unreadable] = (),
    ) -> Report:
        catalog = self.catalog
        report = Report("k8s check", display_root(root), catalog.rules, catalog.principles)
        unreadable = list(unreadable)
        report.files_checked = len({d.path for d in docs} | {u.path for u in unreadable})
        kustomizations = [d for d in docs if _is_kustomization(d)]
        for doc in kustomizations:
            report.notes.append(
                Note(
                    doc.path,
                    "a Kustomize build file, not an object the cluster receives; not validated"
                    " (check the output of `kubectl kustomize` instead)",
                )
            )
        docs = [d for d in docs if not _is_kustomization(d)]
        suppressions = Suppressions()
        for label, text in (texts or {}).items():
            found, notes = parse_suppressions(label, text, catalog, python=False)
            for item in found:
                # Findings name their object, so a line's suppression is keyed by its object too.
                owner = _owner(docs, label, item.line)
                suppressions.add(dataclasses.replace(item, object=ident(owner)) if owner else item)
            report.notes.extend(notes)
        active = self.options.policy.active(catalog)
        context = KubeContext([d.obj for d in docs])
        modules = rule_modules()
        raw: list[Finding] = []
        for doc in docs:
            self._annotation_suppressions(doc, suppressions, report)
            raw.extend(self._schema(doc, report))
            for rule_id, module in modules.items():
                if rule_id not in active:
                    continue
                for hit in module.check(doc.obj, context):
                    raw.append(self._finding(rule_id, doc, hit))
        for failed in unreadable:
            rule = catalog.rules[UNREADABLE_RULE]
            raw.append(
                Finding(
                    UNREADABLE_RULE,
                    rule.severity,
                    Location(failed.path, failed.line, 1 if failed.line else 0),
                    f"not parsed as manifests: {failed.message}",
                    rule.fix,
                    rule.principle,
                )
            )
        kept = []
        for finding in self.options.policy.apply(raw):
            if finding.rule not in active:
                continue
            if suppressions.covers(finding):
                report.suppressed += 1
            else:
                kept.append(finding)
        report.extend(kept)
        report.sort()
        return report

    def _schema(self, doc: Document, report: Report) -> list[Finding]:
        result = schema.validate(doc.obj, self.options.version)
        if not result.served:
            message = (
                f"{doc.obj.get('apiVersion')} {doc.obj.get('kind')} is not served by"
                f" Kubernetes {self.options.version}"
            )
            return [self._finding(SERVED_RULE, doc, ManifestHit("apiVersion", message))]
        if not result.schema:
            api, kind = doc.obj.get("apiVersion"), doc.obj.get("kind")
            what = (
                f"no schema for {api} {kind}"
                if api and kind
                else "no apiVersion or kind, so not a Kubernetes object"
            )
            report.notes.append(Note(doc.path, f"{ident(doc.obj)}: {what}; not validated"))
            return []
        return [
            self._finding(
                SCHEMA_RULE,
                doc,
                ManifestHit(error.field, f"{error.message} ({result.schema} schema)"),
            )
            for error in result.errors
        ]

    def _finding(self, rule_id: str, doc: Document, hit: ManifestHit) -> Finding:
        rule = self.catalog.rules[rule_id]
        line = _line_of(doc, hit.field)
        location = Location(
            path=doc.path,
            line=line,
            column=1 if line else 0,
            object=ident(doc.obj),
            field=hit.field,
        )
        return Finding(
            rule=rule_id,
            severity=rule.severity,
            location=location,
            message=hit.message,
            fix=rule.fix,
            principle=rule.principle,
            fixable=rule.fixable,
        )

    def _annotation_suppressions(
        self, doc: Document, suppressions: Suppressions, report: Report
    ) -> None:
        annotations = (doc.obj.get("metadata") or {}).get("annotations") or {}
        value = annotations.get(IGNORE_ANNOTATION) if isinstance(annotations, dict) else None
        if not value:
            return
        for part in str(value).split(";"):
            match = _IGNORE.match(part)
            if not match or not part.strip():
                continue
            rules: set[str] = set()
            for key in (k.strip() for k in match.group(1).split(",")):
                rule = self.catalog.resolve(key)
                if rule is None:
                    report.notes.append(
                        Note(
                            doc.path,
                            f"{ident(doc.obj)}: {IGNORE_ANNOTATION} names unknown rule {key!r}",
                        )
                    )
                else:
                    rules.add(rule)
            reason = (match.group(2) or "").strip()
            if rules and not reason:
                names = ", ".join(sorted(rules))
                report.notes.append(
                    Note(doc.path, f"{ident(doc.obj)}: suppression of {names} gives no reason")
                )
            if rules:
                suppressions.add(
                    Suppression(doc.path, 0, frozenset(rules), reason, object=ident(doc.obj))
                )


def _owner(docs: list[Document], path: str, line: int) -> Manifest | None:
    """The object whose document holds `line` (a comment above the first key counts)."""
    owner = None
    for doc in sorted((d for d in docs if d.path == path), key=lambda d: d.line):
        last = max(doc.lines.values(), default=doc.line)
        if doc.line - 1 <= line <= last or (owner is None and line < doc.line):
            owner = doc.obj
            if line <= last:
                return owner
    return owner


def _line_of(doc: Document, field: str) -> int:
    """The line of the deepest known part of `field`, else the document's first line."""
    parts = field.split(".") if field else []
    while parts:
        line = doc.lines.get(".".join(parts))
        if line:
            return line
        parts.pop()
    return doc.line


def _is_kustomization(doc: Document) -> bool:
    return (
        Path(doc.path).name in KUSTOMIZATION_FILES
        or doc.obj.get("kind") == "Kustomization"
        or str(doc.obj.get("apiVersion") or "").startswith("kustomize.config.k8s.io/")
    )


def display_root(root: str) -> str:
    """The checked root as the user would type it: relative to the working folder when inside
    it ("." for the folder itself), so reports do not carry this machine's absolute paths."""
    path = Path(root)
    if not path.is_absolute():
        return root
    try:
        relative = path.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        return root
    return relative.as_posix() or "."


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
