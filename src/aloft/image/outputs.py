"""Where a finished build goes: a registry, an OCI layout folder, a load-able tarball.

Each SBOM is written beside the on-disk outputs and attached in the registry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from aloft.exceptions import ConfigError
from aloft.image.build import BuildResult
from aloft.image.cache import Cache, atomic_write
from aloft.image.layout import write_layout, write_tarball
from aloft.image.oci import Image
from aloft.image.reference import ImageRef


@dataclasses.dataclass(frozen=True)
class Outputs:
    push: str | None = None
    layout: Path | None = None
    tarball: Path | None = None
    tag: str = "latest"
    insecure: tuple[str, ...] = ()


def sboms(result: BuildResult) -> dict[str, bytes]:
    return {
        p.image.digest: p.sbom(result.name, result.version, result.created)
        for p in result.platforms
    }


def deliver(
    result: BuildResult, outputs: Outputs, cache: Cache, progress: Callable[[str], None]
) -> str:
    """Write/push the build; return the reference by digest to print last."""
    ref = ImageRef.parse(outputs.push, what="--push") if outputs.push else None
    if outputs.tarball and not isinstance(result.target, Image):
        raise ConfigError(
            "--tar holds one platform; pass a single --platform or use --layout/--push for several"
        )
    documents = sboms(result)
    if outputs.layout:
        write_layout(result.target, cache, outputs.layout, outputs.tag)
        _write_sboms(result, documents, outputs.layout)
        progress(f"wrote OCI layout {outputs.layout}")
    if outputs.tarball and isinstance(result.target, Image):
        write_tarball(result.target, cache, outputs.tarball, f"{result.name}:{outputs.tag}")
        _write_sboms(result, documents, outputs.tarball)
        progress(f"wrote {outputs.tarball}")
    if ref is not None:
        from aloft.image.publish import push_build
        from aloft.image.registry import Registry

        with Registry(ref.registry, insecure=ref.registry in outputs.insecure) as registry:
            mounts = _mounts(result, ref)
            digest = push_build(
                registry, ref, result.target, documents, cache, mount_from=mounts, progress=progress
            )
        return ref.with_digest(digest).by_digest()
    return f"{result.name}@{result.digest}"


def _mounts(result: BuildResult, ref: ImageRef) -> dict[str, str]:
    """Base layers already in another repository of the same registry are mounted, not uploaded."""
    mounts: dict[str, str] = {}
    for build in result.platforms:
        if not build.base.reference or build.base.reference.startswith("aloft-base:"):
            continue
        base_ref = ImageRef.parse(build.base.reference)
        if base_ref.registry == ref.registry and base_ref.repository != ref.repository:
            for layer in build.base.image.layers:
                mounts[layer.digest] = base_ref.repository
    return mounts


def _write_sboms(result: BuildResult, documents: dict[str, bytes], beside: Path) -> None:
    for build in result.platforms:
        suffix = "" if len(result.platforms) == 1 else f".{build.image.platform.architecture}"
        path = beside.with_name(f"{beside.name}{suffix}.sbom.cdx.json")
        atomic_write(path, documents[build.image.digest])
