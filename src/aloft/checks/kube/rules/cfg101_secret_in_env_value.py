"""CFG101 secret-in-env-value: a literal env value under a credential-like name, or a URL with a
password in it."""

from __future__ import annotations

import re
from collections.abc import Iterator

from aloft.checks.kube.rules import Hit, KubeContext, containers
from aloft.kube.manifest import Manifest

ID = "CFG101"
_NAME = re.compile(
    r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY)", re.IGNORECASE
)
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/:@\s]+:[^/@\s]+@", re.IGNORECASE)


def check(obj: Manifest, ctx: KubeContext) -> Iterator[Hit]:
    for path, item in containers(obj):
        for index, env in enumerate(item.get("env") or []):
            if not isinstance(env, dict) or "value" not in env:
                continue
            name, value = str(env.get("name", "")), str(env.get("value") or "")
            if value and (_NAME.search(name) or _URL_PASSWORD.match(value)):
                yield Hit(
                    f"{path}.env.{index}.value", f"env {name} holds a secret value in plain text"
                )
