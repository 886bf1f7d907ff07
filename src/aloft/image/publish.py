"""Put images into a registry and get base images out of one.

Order matters: every blob first, then each platform's manifest by digest, then the index or
manifest by digest, then every referrer (the SBOMs), and the tag last. A push that fails at any
point leaves only content addressed by digest (harmless, reused next time): never a manifest
with missing blobs, and never a tag moved to an image whose SBOM is missing.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from aloft.exceptions import OperationFailed
from aloft.image.cache import Cache
from aloft.image.layers import Layer
from aloft.image.oci import (
    DOCKER_LIST,
    EMPTY,
    INDEX,
    MANIFEST,
    Image,
    ImageIndex,
    Platform,
    canonical,
    make_image,
    sha256,
)
from aloft.image.reference import ImageRef
from aloft.image.registry import Registry
from aloft.progress import as_progress, human_size

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def push(
    registry: Registry,
    ref: ImageRef,
    target: Image | ImageIndex,
    cache: Cache,
    *,
    mount_from: dict[str, str] | None = None,
    progress: Progress = _quiet,
) -> str:
    """Push `target` to `ref` (tag or, without one, by digest only); return its digest."""
    digest = push_content(registry, ref, target, cache, mount_from=mount_from, progress=progress)
    move_tag(registry, ref, target)
    return digest


def push_content(
    registry: Registry,
    ref: ImageRef,
    target: Image | ImageIndex,
    cache: Cache,
    *,
    mount_from: dict[str, str] | None = None,
    progress: Progress = _quiet,
) -> str:
    """Every blob and manifest of `target`, all by digest (no tag yet); return its digest."""
    images = target.images if isinstance(target, ImageIndex) else (target,)
    mounts = mount_from or {}
    shown = as_progress(progress)
    done: set[str] = set()
    for image in images:
        for position, (digest, size) in enumerate(image.blobs()):
            if digest in done:
                continue
            source = image.config if position == 0 else cache.blob_path(digest)
            label = f"blob {digest[7:19]}"
            with shown.transfer(label, size) as moved:
                how = registry.push_blob(
                    ref.repository,
                    digest,
                    size,
                    source,
                    mount_from=mounts.get(digest, ""),
                    on_bytes=moved.advance,
                )
            shown(f"{label} {human_size(size)} {how}")
            done.add(digest)
    if isinstance(target, ImageIndex):
        for image in images:
            registry.put_manifest(ref.repository, image.digest, image.manifest, MANIFEST)
        return registry.put_manifest(ref.repository, target.digest, target.manifest, INDEX)
    return registry.put_manifest(ref.repository, target.digest, target.manifest, MANIFEST)


def move_tag(registry: Registry, ref: ImageRef, target: Image | ImageIndex) -> None:
    """Point `ref`'s tag at `target`, once everything it refers to is in place."""
    if ref.tag:
        media_type = INDEX if isinstance(target, ImageIndex) else MANIFEST
        registry.put_manifest(ref.repository, ref.tag, target.manifest, media_type)


def attach(
    registry: Registry,
    ref: ImageRef,
    subject_digest: str,
    subject_size: int,
    subject_type: str,
    artifact_type: str,
    payload: bytes,
    annotations: dict[str, str],
) -> str:
    """Attach `payload` (e.g. an SBOM) to the subject as an OCI artifact; return its digest.

    Registries with the referrers API index it from `subject`; others (distribution 2.8) get the
    OCI tag-schema fallback: an index tagged `sha256-<hex>` listing the referrers.
    """
    registry.push_blob(ref.repository, sha256(b"{}"), 2, b"{}")
    registry.push_blob(ref.repository, sha256(payload), len(payload), payload)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": EMPTY, "digest": sha256(b"{}"), "size": 2},
        "layers": [{"mediaType": artifact_type, "digest": sha256(payload), "size": len(payload)}],
        "subject": {"mediaType": subject_type, "digest": subject_digest, "size": subject_size},
        "annotations": dict(sorted(annotations.items())),
    }
    data = canonical(manifest)
    digest = registry.put_manifest(ref.repository, sha256(data), data, MANIFEST)
    if registry.supports_referrers(ref.repository, subject_digest):
        return digest
    tag = subject_digest.replace(":", "-")
    existing = registry.get_manifest(ref.repository, tag)
    entries = []
    if existing is not None:
        entries = [
            m for m in json.loads(existing.data).get("manifests", []) if m.get("digest") != digest
        ]
    entries.append(
        {
            "mediaType": MANIFEST,
            "digest": digest,
            "size": len(data),
            "artifactType": artifact_type,
            "annotations": manifest["annotations"],
        }
    )
    index = canonical({"schemaVersion": 2, "mediaType": INDEX, "manifests": entries})
    registry.put_manifest(ref.repository, tag, index, INDEX)
    return digest


def pull(
    registry: Registry,
    ref: ImageRef,
    platform: Platform,
    cache: Cache,
    progress: Progress = _quiet,
) -> Image:
    """Fetch the image for `platform` (choosing from an index) with all its blobs into the cache."""
    manifest = registry.get_manifest(ref.repository, ref.reference)
    if manifest is None:
        raise OperationFailed(
            f"base image {ref} not found in {ref.registry}; check the name and tag, or build "
            "one with `aloft base --push`"
        )
    document = json.loads(manifest.data)
    if manifest.media_type in (INDEX, DOCKER_LIST) or "manifests" in document:
        chosen = [
            m
            for m in document.get("manifests", [])
            if m.get("platform", {}).get("os") == platform.os
            and m.get("platform", {}).get("architecture") == platform.architecture
        ]
        if not chosen:
            have = ", ".join(
                f"{m['platform']['os']}/{m['platform']['architecture']}"
                for m in document.get("manifests", [])
                if "platform" in m
            )
            raise OperationFailed(
                f"base image {ref} has no {platform} image (it has {have or 'none'}); pick "
                "another base or platform"
            )
        manifest = registry.get_manifest(ref.repository, chosen[0]["digest"])
        assert manifest is not None
        document = json.loads(manifest.data)
    config_path = registry.fetch_blob(ref.repository, document["config"]["digest"], cache)
    config = json.loads(config_path.read_bytes())
    layers = []
    shown = as_progress(progress)
    for descriptor, diff_id in zip(document["layers"], config["rootfs"]["diff_ids"], strict=True):
        digest, size = descriptor["digest"], int(descriptor["size"])
        if cache.has_blob(digest):  # nothing to fetch, nothing to report
            registry.fetch_blob(ref.repository, digest, cache)
        else:
            label = f"base layer {digest[7:19]}"
            with shown.transfer(label, size) as moved:
                registry.fetch_blob(ref.repository, digest, cache, on_bytes=moved.advance)
            shown(f"{label} {human_size(size)} pulled")
        layers.append(Layer(digest, diff_id, size))
    config.pop("rootfs", None)
    image = make_image(platform, layers, config)
    return image


def push_build(
    registry: Registry,
    ref: ImageRef,
    target: Image | ImageIndex,
    sboms: dict[str, bytes],
    cache: Cache,
    *,
    mount_from: dict[str, str] | None = None,
    progress: Progress = _quiet,
) -> str:
    """Push a build and attach each platform image's SBOM (keyed by image digest) to it."""
    from aloft.image.sbom import MEDIA_TYPE

    digest = push_content(registry, ref, target, cache, mount_from=mount_from, progress=progress)
    images = target.images if isinstance(target, ImageIndex) else (target,)
    try:
        for image in images:
            payload = sboms.get(image.digest)
            if payload is not None:
                attach(
                    registry,
                    ref,
                    image.digest,
                    len(image.manifest),
                    MANIFEST,
                    MEDIA_TYPE,
                    payload,
                    {"org.opencontainers.image.created": image.config_json().get("created", "")},
                )
                progress(f"sbom attached to {image.digest[:19]}")
    except OperationFailed as exc:
        if ref.tag:
            raise OperationFailed(f"{exc}; the tag {ref.tag} was not moved") from None
        raise
    move_tag(registry, ref, target)
    return digest
