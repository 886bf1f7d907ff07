"""`[tool.aloft.image]`: how `aloft build` makes the container image."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_PLATFORM = re.compile(r"^linux/(amd64|arm64|386|arm|ppc64le|s390x)(/v\d)?$")
_PYTHON = re.compile(r"^3\.\d+$")


class ImageSettings(BaseModel):
    """Base, platforms, destination and which files go into the app layer."""

    model_config = ConfigDict(extra="forbid")

    base: str = Field(
        default="",
        description="base image reference; empty builds aloft's minimal Debian Python base",
    )
    platforms: list[str] = Field(
        default_factory=lambda: ["linux/amd64"],
        description="OS/ARCH list, e.g. linux/amd64, linux/arm64",
    )
    repository: str = Field(
        default="", description="REGISTRY/REPO[:TAG] a bare `aloft build` pushes to"
    )
    user: int = Field(default=65532, description="UID (and GID) the container runs as; never 0")
    workdir: str = Field(default="/app", description="where the app's source goes in the image")
    exclude: list[str] = Field(
        default_factory=list,
        description="glob patterns of project files to leave out of the app layer",
    )
    insecure_registries: list[str] = Field(
        default_factory=list,
        description="registries reached over plain HTTP (loopback ones always are)",
    )
    labels: dict[str, str] = Field(default_factory=dict, description="extra image labels")
    source: str = Field(
        default="", description="org.opencontainers.image.source, e.g. the repository URL"
    )
    python_version: str = Field(
        default="",
        description="major.minor: picks aloft's base (the Debian suite that ships it), or names "
        "the Python of a base image that does not record it; must satisfy requires-python",
    )
    target: Literal["container", "lambda"] = Field(
        default="container",
        description="what a bare `aloft build` makes: container (serves HTTP) or lambda "
        "(a Lambda container image for [tool.aloft.lambda] architecture)",
    )

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError('list at least one platform, e.g. ["linux/amd64"]')
        for item in value:
            if not _PLATFORM.match(item):
                raise ValueError(f"platform {item!r}: use linux/amd64 or linux/arm64")
        return value

    @field_validator("user")
    @classmethod
    def _non_root(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("the image must run as a non-root user; use a UID such as 65532")
        return value

    @field_validator("workdir")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/") or ".." in value.split("/"):
            raise ValueError("use an absolute path such as /app")
        return value.rstrip("/") or "/"

    @field_validator("python_version")
    @classmethod
    def _python(cls, value: str) -> str:
        if value and not _PYTHON.match(value):
            raise ValueError("use major.minor such as 3.11")
        return value
