"""REL004 image-not-pinned: no tag, or a moving tag (`latest`, `master`, `alpine`, `stable`):
a name without a version in it is moved by its publisher."""

from __future__ import annotations

import re
from collections.abc import Iterator

from aloft.checks.kube.rules import KubeContext, ManifestHit, containers
from aloft.kube.manifest import Manifest

ID = "REL004"


def tag_of(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else ""


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    for path, item in containers(obj):
        image = str(item.get("image") or "")
        tag = tag_of(image)
        if tag is not None and moving(tag):
            yield ManifestHit(f"{path}.image", f"image {image} is not pinned (tag {tag or 'none'})")


def moving(tag: str) -> bool:
    """No tag, or a tag without a digit (`latest`, `master`, `alpine`, `bookworm`), which its
    publisher moves; a hex commit id (`deadbeef`) names one build."""
    if not tag:
        return True
    if re.fullmatch(r"[0-9a-f]{7,40}", tag):
        return False
    return not any(ch.isdigit() for ch in tag)
