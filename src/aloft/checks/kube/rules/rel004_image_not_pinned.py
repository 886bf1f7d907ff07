"""REL004 image-not-pinned: no tag, or the moving `latest` tag."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import Hit, KubeContext, containers
from aloft.kube.manifest import Manifest

ID = "REL004"


def tag_of(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


def check(obj: Manifest, ctx: KubeContext) -> Iterator[Hit]:
    for path, item in containers(obj):
        image = str(item.get("image") or "")
        tag = tag_of(image)
        if tag is not None and tag in ("", "latest"):
            yield Hit(f"{path}.image", f"image {image} is not pinned (tag {tag or 'none'})")
