"""`[tool.aloft.image]`: how `aloft build` makes the container image."""

from __future__ import annotations

import re
from typing import Literal

from aloft.config.schema import setting, table

_PLATFORM = re.compile(r"^linux/(amd64|arm64|386|arm|ppc64le|s390x)(/v\d)?$")
_PYTHON = re.compile(r"^3\.\d+$")


def _platforms(value: list[str]) -> list[str]:
    if not value:
        raise ValueError('list at least one platform, e.g. ["linux/amd64"]')
    for item in value:
        if not _PLATFORM.match(item):
            raise ValueError(f"platform {item!r}: use linux/amd64 or linux/arm64")
    return value


def _non_root(value: int) -> int:
    if value <= 0:
        raise ValueError("the image must run as a non-root user; use a UID such as 65532")
    return value


def _absolute(value: str) -> str:
    if not value.startswith("/") or ".." in value.split("/"):
        raise ValueError("use an absolute path such as /app")
    return value.rstrip("/") or "/"


def _python(value: str) -> str:
    if value and not _PYTHON.match(value):
        raise ValueError("use major.minor such as 3.11")
    return value


@table
class ImageSettings:
    """Base, platforms, destination and which files go into the app layer."""

    base: str = setting(
        default="",
        doc="base image reference; empty builds aloft's minimal Debian Python base",
    )
    platforms: list[str] = setting(
        default_factory=lambda: ["linux/amd64"],
        doc="OS/ARCH list, e.g. linux/amd64, linux/arm64",
        check=_platforms,
    )
    repository: str = setting(default="", doc="REGISTRY/REPO[:TAG] a bare `aloft build` pushes to")
    user: int = setting(
        default=65532, doc="UID (and GID) the container runs as; never 0", check=_non_root
    )
    workdir: str = setting(
        default="/app", doc="where the app's source goes in the image", check=_absolute
    )
    exclude: list[str] = setting(
        default_factory=list,
        doc="glob patterns of project files to leave out of the app layer",
    )
    insecure_registries: list[str] = setting(
        default_factory=list,
        doc="registries reached over plain HTTP (loopback ones always are)",
    )
    labels: dict[str, str] = setting(default_factory=dict, doc="extra image labels")
    source: str = setting(
        default="", doc="org.opencontainers.image.source, e.g. the repository URL"
    )
    python_version: str = setting(
        default="",
        doc="major.minor: picks aloft's base (the Debian suite that ships it), or names "
        "the Python of a base image that does not record it; must satisfy requires-python",
        check=_python,
    )
    target: Literal["container", "lambda"] = setting(
        default="container",
        doc="what a bare `aloft build` makes: container (serves HTTP) or lambda "
        "(a Lambda container image for [tool.aloft.lambda] architecture)",
    )
