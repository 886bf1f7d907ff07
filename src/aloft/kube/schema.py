"""Offline schema validation of manifests against the OpenAPI schemas of one Kubernetes version.

Kubernetes 1.25 and later: the schemas PyPI `kubernetes-validate` bundles (strict variant, so an
unknown field is an error). Older targets: the definitions of Kubernetes 1.20.2's own OpenAPI
document, kept in schemas/kubernetes-1.20.2.json.gz (descriptions stripped). Custom resources aloft
renders: the schemas in crds/.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import gzip
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from aloft.kube.manifest import Manifest
from aloft.kube.versions import KubeVersion

KEPT_1_20 = Path(__file__).with_name("schemas") / "kubernetes-1.20.2.json.gz"
CRD_DIR = Path(__file__).with_name("crds")
FIRST_BUNDLED_MINOR = 25


@dataclasses.dataclass(frozen=True)
class SchemaError:
    field: str  # dotted path inside the object, "" for the object itself
    message: str


@dataclasses.dataclass(frozen=True)
class SchemaResult:
    errors: list[SchemaError]
    schema: str  # which schema judged it, e.g. "Kubernetes 1.20.2", "" if none was found
    served: bool = True  # False: the target version does not serve this apiVersion/kind


def validate(obj: Manifest, version: KubeVersion) -> SchemaResult:
    api_version = str(obj.get("apiVersion", ""))
    kind = str(obj.get("kind", ""))
    if not api_version or not kind:
        missing = "apiVersion" if not api_version else "kind"
        return SchemaResult([SchemaError(missing, f"{missing} is missing")], "")
    crd = _crd_validators().get((api_version, kind))
    if crd is not None:
        name, validator = crd
        return SchemaResult(_errors(validator, obj), name)
    if version.at_least(FIRST_BUNDLED_MINOR):
        return _validate_bundled(obj, api_version, kind, version)
    return _validate_kept(obj, api_version, kind)


def _errors(validator: Any, obj: Manifest) -> list[SchemaError]:
    out = []
    for error in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.path))):
        # For anyOf/oneOf, the innermost error names the field better than the summary.
        best = error
        if error.context:
            best = min(error.context, key=lambda e: len(e.schema_path))
        path = ".".join(str(p) for p in best.absolute_path)
        out.append(SchemaError(path, _shorten(best.message)))
    return _dedupe(out)


def _dedupe(errors: list[SchemaError]) -> list[SchemaError]:
    seen: set[SchemaError] = set()
    return [e for e in errors if not (e in seen or seen.add(e))]  # type: ignore[func-returns-value]


def _shorten(message: str) -> str:
    return message if len(message) < 200 else message[:197] + "..."


# ---- Kubernetes >= 1.25: kubernetes-validate's bundled schemas ---------------------------------


def _bundled_versions() -> list[str]:
    from kubernetes_validate.utils import all_versions  # type: ignore[import-untyped]

    return sorted(set(all_versions()), key=lambda v: tuple(int(x) for x in v.split(".")))


def _validate_bundled(
    obj: Manifest, api_version: str, kind: str, version: KubeVersion
) -> SchemaResult:
    versions = [
        v for v in _bundled_versions() if tuple(map(int, v.split(".")[:2])) <= (1, version.minor)
    ]
    chosen = versions[-1] if versions else _bundled_versions()[-1]
    validator = _bundled_validator(chosen, api_version, kind)
    label = f"Kubernetes {'.'.join(chosen.split('.')[:2])}"
    if validator is None:
        known = _known_kind(kind, chosen)
        return SchemaResult([], label if known else "", served=not known)
    return SchemaResult(_errors(validator, obj), label)


@functools.cache
def _bundled_validator(chosen: str, api_version: str, kind: str) -> Any:
    import jsonschema  # type: ignore[import-untyped]
    from referencing import Registry, Resource

    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    folder = resources.files("kubernetes_validate") / "kubernetes-json-schema"
    folder = folder / f"v{chosen}-local-strict"
    schema_file = folder / f"{kind.lower()}-{group_version}.json"
    if not schema_file.is_file():
        return None
    schema = json.loads(schema_file.read_text())
    definitions = _bundled_definitions(chosen)
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(definitions) @ registry
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


@functools.cache
def _bundled_definitions(chosen: str) -> Any:
    folder = resources.files("kubernetes_validate") / "kubernetes-json-schema"
    return json.loads((folder / f"v{chosen}-local-strict" / "_definitions.json").read_text())


def _known_kind(kind: str, chosen: str) -> bool:
    folder = resources.files("kubernetes_validate") / "kubernetes-json-schema"
    folder = folder / f"v{chosen}-local-strict"
    return any(entry.name.startswith(f"{kind.lower()}-") for entry in folder.iterdir())


# ---- Kubernetes < 1.25: the kept 1.20.2 OpenAPI definitions ------------------------------------


@functools.cache
def _kept() -> tuple[dict[str, Any], dict[tuple[str, str], str], set[str]]:
    """(definitions made strict, (apiVersion, kind) -> definition name, every kind known)."""
    with gzip.open(KEPT_1_20, "rb") as fh:
        document = json.load(fh)
    definitions: dict[str, Any] = document["definitions"]
    by_gvk: dict[tuple[str, str], str] = {}
    kinds: set[str] = set()
    for name, definition in definitions.items():
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            api = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
            # Definitions of List/options types carry several GVKs; the object's own is exact.
            if name.rsplit(".", 1)[-1] == gvk["kind"]:
                by_gvk[(api, gvk["kind"])] = name
                kinds.add(gvk["kind"])
    strict = {name: _strict(copy.deepcopy(d)) for name, d in definitions.items()}
    # Types the OpenAPI document declares as strings but the API also takes as numbers.
    strict["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {"type": ["string", "integer"]}
    strict["io.k8s.apimachinery.pkg.api.resource.Quantity"] = {"type": ["string", "number"]}
    return strict, by_gvk, kinds


def _strict(schema: Any) -> Any:
    if isinstance(schema, dict):
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        for key, value in list(schema.items()):
            if key in ("properties",):
                schema[key] = {k: _strict(v) for k, v in value.items()}
            elif isinstance(value, (dict, list)):
                schema[key] = _strict(value)
        return schema
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


@functools.cache
def _kept_validator(name: str) -> Any:
    import jsonschema

    definitions, _, _ = _kept()
    schema = {"$ref": f"#/definitions/{name}", "definitions": definitions}
    return jsonschema.validators.Draft4Validator(schema)


def _validate_kept(obj: Manifest, api_version: str, kind: str) -> SchemaResult:
    _, by_gvk, kinds = _kept()
    name = by_gvk.get((api_version, kind))
    if name is None:
        known = kind in kinds
        return SchemaResult([], "Kubernetes 1.20.2" if known else "", served=not known)
    return SchemaResult(_errors(_kept_validator(name), obj), "Kubernetes 1.20.2")


# ---- custom resources ------------------------------------------------------------------------


@functools.cache
def _crd_validators() -> dict[tuple[str, str], tuple[str, Any]]:
    """(apiVersion, kind) -> (label with upstream version, validator) from crds/*.json."""
    import jsonschema

    out: dict[tuple[str, str], tuple[str, Any]] = {}
    for path in sorted(CRD_DIR.glob("*.json")):
        document = json.loads(path.read_text())
        schema = document["openAPIV3Schema"]
        out[(document["apiVersion"], document["kind"])] = (
            f"{document['kind']} CRD {document['upstream']}",
            jsonschema.validators.Draft4Validator(schema),
        )
    return out


def crd_kinds() -> set[tuple[str, str]]:
    return set(_crd_validators())
