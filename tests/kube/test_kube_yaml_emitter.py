"""Manifests as YAML are the same text whichever PyYAML emitter writes them: libyaml's (fast, in
PyYAML's wheels) or the pure-Python one (where PyYAML was built without libyaml)."""

from __future__ import annotations

from pathlib import Path

import yaml
from kubekit import render_project, write_project
from test_kube_render import FULL

from aloft.kube import yamlio

# Strings each emitter must quote, escape, fold or block alike.
AWKWARD = [
    "", "yes", "no", "on", "off", "null", "~", "true", "1.0", "0x10", "012", "1e3", ".inf",
    "2026-01-01", "12:30:00", "a: b", "- x", "#c", "a #c", "*x", "&x", "!t", "%p", "@x", "`x",
    "{x}", "[x]", "'q'", '"d"', "a\nb", "a\nb\n", "line1\n\nline3\n", "\n", "  \n x", " lead",
    "trail ", "\t", "tab\tin", "ünï", "é\nü", "a\x7fb", "\u2028", "\x85", "\x00", "x" * 150,
    "word " * 40, "-", "?", ":", "a,b", "=", "<<",
]  # fmt: skip


def _pure(objects: list[dict]) -> str:
    pure = yamlio._dumper(yaml.SafeDumper)
    docs = [
        yaml.dump(obj, Dumper=pure, sort_keys=False, default_flow_style=False, width=100)
        for obj in objects
    ]
    return "---\n" + "---\n".join(docs)


def test_the_fast_emitter_is_libyaml_where_pyyaml_has_it() -> None:
    assert yaml.__with_libyaml__, "PyYAML here lacks libyaml: this file would compare one emitter"
    assert issubclass(yamlio._Dumper, yaml.CSafeDumper)


def test_rendered_manifests_are_the_same_text_from_either_emitter(tmp_path: Path) -> None:
    objects = render_project(write_project(tmp_path, FULL)).objects
    assert len(objects) > 8
    assert yamlio.dump(objects) == _pure(objects)


def test_awkward_strings_lists_and_empties_are_the_same_text_from_either_emitter() -> None:
    objects = [{"value": text, "list": [text], "map": {text or "k": text}} for text in AWKWARD]
    objects.append({"k": [1, 2.5, True, None, {"x": []}, {}, -0.0], "e": {}, "n": ["a " * 70]})
    assert yamlio.dump(objects) == _pure(objects)
    assert [yaml.safe_load(doc) for doc in yamlio.dump(objects).split("---\n")[1:]] == objects
