"""Manifests as YAML: stable multi-document output, and input that remembers each object's line so
findings point into the file."""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from aloft.exceptions import ConfigError
from aloft.fileio import atomic_write_text
from aloft.kube.manifest import Manifest

try:
    # libyaml's emitter (in PyYAML's wheels) writes the same text about 6x faster than the
    # pure-Python one, a tenth of `aloft k8s render`'s time; tests/kube check they agree.
    from yaml import CSafeDumper as _Emitter
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeDumper as _Emitter  # type: ignore[assignment]


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _ignore_aliases(dumper: Any, data: Any) -> bool:
    return True  # shared label dicts are written out in full, never as &anchors


def _dumper(emitter: type[Any]) -> type[Any]:
    """Our YAML style on top of `emitter`, PyYAML's C or pure-Python safe dumper."""
    dumper: type[Any] = type(
        f"Aloft{emitter.__name__}", (emitter,), {"ignore_aliases": _ignore_aliases}
    )
    dumper.add_representer(str, _str)
    return dumper


_Dumper = _dumper(_Emitter)


def dump(objects: Iterable[Manifest]) -> str:
    docs = [
        yaml.dump(obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100)
        for obj in objects
    ]
    return "---\n" + "---\n".join(docs) if docs else ""


def dump_one(obj: Any) -> str:
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100)


@dataclasses.dataclass(frozen=True)
class Document:
    """One object read from a file, with the 1-based line its document starts on."""

    path: str
    line: int
    obj: Manifest
    lines: dict[str, int]  # dotted field path -> line, for findings


def load_documents(path: Path, text: str, label: str) -> list[Document]:
    """Every mapping document of a YAML file (List kinds expanded); bad YAML is a ConfigError."""
    loader = yaml.SafeLoader(text)
    docs: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            value = loader.construct_document(node)
            if value is None:
                continue
            if not isinstance(value, dict):
                raise ConfigError(
                    f"{label}:{node.start_mark.line + 1}: a manifest document must be a mapping"
                )
            lines: dict[str, int] = {}
            _index(node, "", lines)
            if value.get("kind") == "List" and isinstance(value.get("items"), list):
                for number, item in enumerate(value["items"]):
                    if isinstance(item, dict):
                        prefix = f"items.{number}."
                        sub = {
                            k[len(prefix) :]: v for k, v in lines.items() if k.startswith(prefix)
                        }
                        docs.append(Document(label, lines.get(f"items.{number}", 1), item, sub))
                continue
            docs.append(Document(label, node.start_mark.line + 1, value, lines))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{label}{where}: not valid YAML ({problem}); fix the syntax") from None
    finally:
        loader.dispose()
    return docs


def _index(node: yaml.Node, prefix: str, lines: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, child in node.value:
            dotted = f"{prefix}{key.value}"
            lines[dotted] = key.start_mark.line + 1
            _index(child, dotted + ".", lines)
    elif isinstance(node, yaml.SequenceNode):
        for number, child in enumerate(node.value):
            dotted = f"{prefix}{number}"
            lines[dotted] = child.start_mark.line + 1
            _index(child, dotted + ".", lines)


def write_atomic(path: Path, text: str) -> None:
    atomic_write_text(path, text)


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write a set of files so that none is half-written: all go to a temp folder first, then each
    is moved into place."""
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".aloft-", dir=root))
    try:
        for rel, text in files.items():
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        for rel in files:
            final = root / rel
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, final)
    finally:
        for leftover in sorted(staging.rglob("*"), reverse=True):
            leftover.unlink() if leftover.is_file() else leftover.rmdir()
        staging.rmdir()
