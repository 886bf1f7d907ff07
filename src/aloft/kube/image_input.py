"""Where the image to deploy comes from: `--image REF@sha256:...` or the JSON record
`aloft build --push --output json` wrote (its "reference" key)."""

from __future__ import annotations

import json
from pathlib import Path

from aloft.exceptions import ConfigError
from aloft.kube.spec import check_image

# Used by `render` when no image is given, so manifests can be previewed before a build.
PLACEHOLDER = "registry.invalid/image@sha256:" + "0" * 64


def image_from(image: str | None, record: Path | None, *, required: bool) -> str:
    if image and record:
        raise ConfigError("pass --image or --image-record, not both")
    if record is not None:
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"--image-record {record}: not a JSON build record ({exc}); write it with"
                " `aloft build --push --output json > FILE`"
            ) from None
        reference = data.get("reference") if isinstance(data, dict) else None
        if not isinstance(reference, str):
            raise ConfigError(
                f'--image-record {record}: no "reference" key; build with --push to get one'
            )
        return check_image(reference)
    if image:
        return check_image(image)
    if required:
        raise ConfigError(
            "no image: pass --image REPO@sha256:... or --image-record FILE from"
            " `aloft build --push --output json`"
        )
    return PLACEHOLDER
