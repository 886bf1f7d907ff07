"""Image references: REGISTRY/REPOSITORY[:TAG][@DIGEST], always naming the registry explicitly.

There is no implied default registry: an unqualified name would silently mean Docker Hub.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re

from aloft.exceptions import ConfigError

_REPO = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclasses.dataclass(frozen=True)
class ImageRef:
    registry: str
    repository: str
    tag: str = ""
    digest: str = ""

    @classmethod
    def parse(cls, text: str, *, what: str = "image reference") -> ImageRef:
        rest, _, digest = text.strip().partition("@")
        if digest and not _DIGEST.match(digest):
            raise ConfigError(f"{what} {text!r}: digest must be sha256:<64 hex digits>")
        registry, slash, path = rest.partition("/")
        if not slash or not ("." in registry or ":" in registry or registry == "localhost"):
            raise ConfigError(
                f"{what} {text!r}: name the registry, e.g. 127.0.0.1:5000/{rest or 'app'} "
                "or registry.example.com/team/app"
            )
        tag = ""
        if ":" in path.rsplit("/", 1)[-1]:
            path, _, tag = path.rpartition(":")
            if not _TAG.match(tag):
                raise ConfigError(
                    f"{what} {text!r}: tag {tag!r} is not valid; use letters, digits, '_', '.', '-'"
                )
        if not _REPO.match(path):
            raise ConfigError(
                f"{what} {text!r}: repository {path!r} must be lower-case letters, digits and "
                "separators"
            )
        return cls(registry, path, tag, digest)

    @property
    def reference(self) -> str:
        """What to ask the registry for: the digest if pinned, else the tag (default latest)."""
        return self.digest or self.tag or "latest"

    def with_digest(self, digest: str) -> ImageRef:
        return dataclasses.replace(self, digest=digest)

    def by_digest(self) -> str:
        return f"{self.registry}/{self.repository}@{self.digest}"

    def __str__(self) -> str:
        text = f"{self.registry}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    @property
    def is_loopback(self) -> bool:
        host = (
            self.registry.rsplit(":", 1)[0].strip("[]")
            if not self.registry.startswith("[")
            else self.registry[1:].split("]")[0]
        )
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False
