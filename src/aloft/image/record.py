"""The image record: what `aloft build` hands to the deploy stages, as one typed value.

`aloft build --output json` prints it and `--image-record FILE` writes it (atomically, so a
failed build never leaves a truncated record behind); `aloft k8s render|diff|deploy` and
`aloft lambda template|deploy` read it back with `--image-record FILE`. The deploy layers never
read the file themselves: the CLI reads it here and passes the reference down as a plain string
(kube and serverless are peers of image and do not import it).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from aloft.exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

# What an image runs: serves HTTP (`aloft run`), or aloft's Lambda Runtime API client. Defined
# here, where reading a record needs it without the build's imports.
Target = Literal["container", "lambda"]
TARGETS: tuple[Target, ...] = ("container", "lambda")


@dataclasses.dataclass(frozen=True)
class ImageRecord:
    reference: str  # REPO@sha256:... as pushed, else NAME@sha256:... of the local build
    digest: str  # the manifest's (or index's) digest, also the reference's
    target: Target = "container"
    media_type: str = "manifest"  # "manifest" (one platform) or "index"
    # Per platform: entrypoint, cmd, digest, size, base, python, layers, reused (build summary).
    platforms: tuple[dict[str, Any], ...] = ()
    # --target lambda: each function's name, key and cmd.
    functions: tuple[dict[str, Any], ...] = ()

    @classmethod
    def of(cls, summary: Mapping[str, Any], reference: str) -> ImageRecord:
        """The record of a build, from its plain summary (`BuildResult.summary()`) and the
        reference it was delivered as: the record needs no import of the build."""
        return cls(
            reference=reference,
            digest=summary["digest"],
            target=summary["target"],
            media_type=summary["media_type"],
            platforms=tuple(summary["platforms"]),
            functions=tuple(summary.get("functions") or ()),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "reference": self.reference,
            "digest": self.digest,
            "target": self.target,
            "media_type": self.media_type,
            "platforms": list(self.platforms),
        }
        if self.target == "lambda":
            out["functions"] = list(self.functions)
        return out

    def write(self, path: Path) -> None:
        from aloft.fileio import atomic_write_text

        atomic_write_text(path, json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n")

    @classmethod
    def read(cls, path: Path) -> ImageRecord:
        """The record at `path`; a missing, unreadable or inconsistent one is a one-line
        ConfigError naming the file and the field."""
        where = f"--image-record {path}"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(
                f"{where}: not a JSON build record ({exc}); write it with"
                " `aloft build --push --image-record FILE`"
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: not a JSON build record (an object); rebuild it")
        reference = data.get("reference")
        if not isinstance(reference, str) or "@sha256:" not in reference:
            raise ConfigError(
                f'{where}: no "reference" key with a REPO@sha256: reference; build with --push'
                " to get one"
            )
        digest = data.get("digest", reference.rpartition("@")[2])
        if digest != reference.rpartition("@")[2]:
            raise ConfigError(
                f'{where}: "digest" {digest} is not the digest of "reference" {reference};'
                " the record was edited, rebuild it"
            )
        target = data.get("target", "container")
        if target not in TARGETS:
            raise ConfigError(
                f'{where}: "target" = {target!r}: use "container" or "lambda" (rebuild it)'
            )
        platforms, functions = data.get("platforms", []), data.get("functions", [])
        for field, value in (("platforms", platforms), ("functions", functions)):
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise ConfigError(f'{where}: "{field}" is not a list of objects; rebuild it')
        return cls(
            reference=reference,
            digest=digest,
            target=target,
            media_type=str(data.get("media_type", "manifest")),
            platforms=tuple(platforms),
            functions=tuple(functions),
        )


def image_reference(
    image: str | None, record: Path | None, *, target: Target, flag: str = "--image"
) -> str | None:
    """The image the user named: `flag` REF, or the reference in --image-record FILE (never
    both), whose record must say it was built for `target`; None when neither was given."""
    if image and record:
        raise ConfigError(f"pass {flag} or --image-record, not both")
    if record is None:
        return image or None
    read = ImageRecord.read(record)
    if read.target != target:
        raise ConfigError(
            f'--image-record {record}: an image built for "{read.target}", and this needs one'
            f" built for {target}; build it with `aloft build --target {target}`"
        )
    return read.reference
