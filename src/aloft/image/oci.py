"""OCI image values: config, manifest and index documents, serialised canonically.

Digests are taken over the exact bytes written here, so the same inputs always name the same image.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
from typing import Any

from aloft.image.layers import Layer

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MANIFEST_TYPES = (MANIFEST, INDEX, DOCKER_MANIFEST, DOCKER_LIST)


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def created(mtime: int) -> str:
    """An image's `created` time (config, history, annotations): RFC 3339 in UTC, to the second,
    from the build's fixed time, never the clock, so the same inputs give the same digest."""
    return datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


@dataclasses.dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform:
        parts = text.strip().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"platform {text!r}: use OS/ARCH such as linux/amd64 or linux/arm64")
        return cls(*parts)

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    def as_json(self) -> dict[str, str]:
        out = {"os": self.os, "architecture": self.architecture}
        if self.variant:
            out["variant"] = self.variant
        return out


@dataclasses.dataclass(frozen=True)
class Image:
    """One platform's image: its layers (blobs in the cache), config and manifest bytes."""

    platform: Platform
    layers: tuple[Layer, ...]
    config: bytes
    manifest: bytes

    @property
    def digest(self) -> str:
        return sha256(self.manifest)

    @property
    def config_digest(self) -> str:
        return sha256(self.config)

    @property
    def size(self) -> int:
        """Bytes a pull transfers: manifest, config and compressed layers."""
        return len(self.manifest) + len(self.config) + sum(layer.size for layer in self.layers)

    def config_json(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.config)
        return value

    def descriptor(self) -> dict[str, Any]:
        return {
            "mediaType": MANIFEST,
            "digest": self.digest,
            "size": len(self.manifest),
            "platform": self.platform.as_json(),
        }

    def blobs(self) -> list[tuple[str, int]]:
        """Digest and size of every blob the manifest points at, config first."""
        return [(self.config_digest, len(self.config))] + [
            (layer.digest, layer.size) for layer in self.layers
        ]


def make_image(
    platform: Platform,
    layers: list[Layer],
    config: dict[str, Any],
    annotations: dict[str, str] | None = None,
) -> Image:
    config = dict(config)
    config["rootfs"] = {"type": "layers", "diff_ids": [layer.diff_id for layer in layers]}
    config.update(platform.as_json())
    config_bytes = canonical(config)
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": MANIFEST,
        "config": {"mediaType": CONFIG, "digest": sha256(config_bytes), "size": len(config_bytes)},
        "layers": [layer.descriptor() for layer in layers],
    }
    if annotations:
        manifest["annotations"] = dict(sorted(annotations.items()))
    return Image(platform, tuple(layers), config_bytes, canonical(manifest))


@dataclasses.dataclass(frozen=True)
class ImageIndex:
    """Several platforms' images under one digest."""

    images: tuple[Image, ...]
    manifest: bytes

    @property
    def digest(self) -> str:
        return sha256(self.manifest)


def make_index(images: list[Image], annotations: dict[str, str] | None = None) -> ImageIndex:
    index: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": [image.descriptor() for image in images],
    }
    if annotations:
        index["annotations"] = dict(sorted(annotations.items()))
    return ImageIndex(tuple(images), canonical(index))
