"""REL008 grace-shorter-than-prestop: a preStop `sleep N` (exec sleep, sh -c "sleep N", or the
sleep action) must end well inside terminationGracePeriodSeconds (default 30)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from aloft.checks.kube.rules import KubeContext, ManifestHit, containers
from aloft.config.shutdown import shutdown
from aloft.kube.manifest import Manifest, pod_spec

ID = "REL008"
DEFAULT_GRACE = 30
_SLEEP = re.compile(r"\bsleep\s*\(?\s*(\d+(?:\.\d+)?)")


def prestop_seconds(hook: Any) -> float | None:
    if not isinstance(hook, dict):
        return None
    action = hook.get("sleep")
    if isinstance(action, dict) and isinstance(action.get("seconds"), (int, float)):
        return float(action["seconds"])
    command = (hook.get("exec") or {}).get("command")
    if isinstance(command, list):
        match = _SLEEP.search(" ".join(str(part) for part in command))
        if match:
            return float(match.group(1))
    return None


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    spec = pod_spec(obj)
    if spec is None:
        return
    grace = spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE)
    if not isinstance(grace, (int, float)):
        return
    for path, item in containers(obj):
        sleep = prestop_seconds((item.get("lifecycle") or {}).get("preStop"))
        if sleep is not None and shutdown(grace, prestop=sleep).overruns:
            yield ManifestHit(
                f"{path}.lifecycle.preStop",
                f"preStop sleeps {sleep:g}s but the grace period is {grace}s",
            )
