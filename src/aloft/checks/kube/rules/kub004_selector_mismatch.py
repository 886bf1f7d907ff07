"""KUB004 selector-mismatch: a workload's selector does not select its own pod template."""

from __future__ import annotations

from collections.abc import Iterator

from aloft.checks.kube.rules import SERVING_KINDS, KubeContext, ManifestHit, template_labels
from aloft.kube.manifest import Manifest, selector_miss

ID = "KUB004"


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    if obj.get("kind") not in SERVING_KINDS:
        return
    spec = obj.get("spec")
    if not isinstance(spec, dict) or "selector" not in spec:
        return  # a missing selector is the schema check's (KUB001) to report
    selector = spec["selector"]
    if not isinstance(selector, dict):
        return
    if not selector.get("matchLabels") and not selector.get("matchExpressions"):
        # apps/v1 refuses an empty selector: it would select every pod in the namespace.
        yield ManifestHit(
            "spec.selector", "the selector is empty; it must select the template's labels"
        )
        return
    miss = selector_miss(selector, template_labels(obj))
    if miss is not None:
        yield ManifestHit("spec.selector", f"the selector does not select the pod template: {miss}")
