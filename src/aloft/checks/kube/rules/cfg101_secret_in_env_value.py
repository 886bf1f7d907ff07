"""CFG101 secret-in-env-value: a literal env value under a credential-like name, or a value with a
credential's shape (a URL or connection string with a password, a known token format)."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import KubeContext, ManifestHit, containers
from aloft.kube.manifest import Manifest
from aloft.runtime.secretshape import secret_setting

ID = "CFG101"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    for path, item in containers(obj):
        for index, env in enumerate(item.get("env") or []):
            if not isinstance(env, dict) or "value" not in env:
                continue
            name, value = str(env.get("name", "")), str(env.get("value") or "")
            if secret_setting(name, value):
                yield ManifestHit(
                    f"{path}.env.{index}.value", f"env {name} holds a secret value in plain text"
                )
