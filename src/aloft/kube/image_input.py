"""The image to deploy: a reference by digest, which the CLI takes from `--image REF@sha256:...`
or from the record `aloft build` wrote (aloft.image.record reads it; kube gets a plain string)."""

from __future__ import annotations

from aloft.exceptions import ConfigError
from aloft.kube.spec import check_image

# Used by `render` when no image is given, so manifests can be previewed before a build.
PLACEHOLDER = "registry.invalid/image@sha256:" + "0" * 64


def image_from(reference: str | None, *, required: bool) -> str:
    """`reference` checked to be by digest; without one, an error when `required`, else the
    placeholder."""
    if reference:
        return check_image(reference)
    if required:
        raise ConfigError(
            "no image: pass --image REPO@sha256:... or --image-record FILE from"
            " `aloft build --push --image-record FILE`"
        )
    return PLACEHOLDER
