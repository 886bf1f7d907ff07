"""An assertion for renderer tests: every rendered resource carries the shared tags.

Cost-allocation reports group spend by tags, so an untagged resource is spend nobody owns. It
reads the shapes the renderers produce: CloudFormation/SAM resources (`Properties.Tags` as a list
of Key/Value pairs, or a map as SAM functions take) and Kubernetes objects (`metadata.labels`,
and a workload's pod template labels too). Moved here from aloft.cost.controls, which nothing in
the tool called.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# CloudFormation types that cannot carry tags: nothing to check on them.
UNTAGGABLE = frozenset(
    {
        "AWS::SNS::TopicPolicy",
        "AWS::Lambda::Permission",
        "AWS::Lambda::LayerVersion",
        "AWS::Serverless::LayerVersion",
    }
)
# Types whose tags live under another property name.
_TAG_PROPERTY = {"AWS::Budgets::Budget": "ResourceTags"}


def resource_tags(resource: Mapping[str, Any]) -> dict[str, str] | None:
    """The tags a rendered resource carries, or None when it is not a shape aloft renders."""
    if "Type" in resource:  # CloudFormation / SAM
        key = _TAG_PROPERTY.get(str(resource["Type"]), "Tags")
        raw = resource.get("Properties", {}).get(key, {})
        if isinstance(raw, list):
            return {str(t.get("Key")): str(t.get("Value")) for t in raw if isinstance(t, Mapping)}
        if isinstance(raw, Mapping):
            return {str(k): str(v) for k, v in raw.items()}
        return {}
    if "kind" in resource and "metadata" in resource:  # Kubernetes
        labels = resource.get("metadata", {}).get("labels") or {}
        return {str(k): str(v) for k, v in labels.items()}
    return None


def missing_tags(resource: Mapping[str, Any], required: Mapping[str, str]) -> list[str]:
    """`key=value` pairs from `required` the resource lacks or carries with another value."""
    if resource.get("Type") in UNTAGGABLE:
        return []
    found = resource_tags(resource)
    if found is None:
        return [f"{k}={v}" for k, v in required.items()]
    missing = [f"{k}={v}" for k, v in required.items() if found.get(k) != v]
    template = resource.get("spec", {}).get("template", {}) if "kind" in resource else {}
    if isinstance(template, Mapping) and "metadata" in template:
        pod = template["metadata"].get("labels") or {}
        missing += [f"pod template {k}={v}" for k, v in required.items() if pod.get(k) != v]
    return missing


def check_tags(resources: Mapping[str, Mapping[str, Any]], required: Mapping[str, str]) -> None:
    """Fail naming every resource without the shared `[tool.aloft.tags]`."""
    problems = []
    for name, resource in resources.items():
        lacking = missing_tags(resource, required)
        if lacking:
            problems.append(f"{name} lacks {', '.join(lacking)}")
    assert not problems, "untagged resources: " + "; ".join(problems)
