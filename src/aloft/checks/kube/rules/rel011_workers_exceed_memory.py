"""REL011 workers-exceed-memory: the server's worker count does not match the memory limit, or is
left to the node's CPU count (no CPU limit, ALOFT_WORKERS 0 or unset).

A worker is taken to need 64Mi (and the master 48Mi) unless the workload's annotation
`aloft/worker-memory` states the measured figure, as `aloft k8s render` writes it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aloft.checks.kube.rules import SERVING_KINDS, KubeContext, ManifestHit, containers
from aloft.kube import quantity
from aloft.kube.manifest import WORKER_MEMORY_ANNOTATION, Manifest
from aloft.runtime.sizing import WorkerMemory, workers_for_cpus

ID = "REL011"
# Worker-count variables: aloft's runtime, then the convention gunicorn and uvicorn read.
WORKER_VARIABLES = ("ALOFT_WORKERS", "WEB_CONCURRENCY")


def check(obj: Manifest, ctx: KubeContext) -> Iterator[ManifestHit]:
    if obj.get("kind") not in SERVING_KINDS:
        return
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace")
    budget = WorkerMemory()
    declared = (metadata.get("annotations") or {}).get(WORKER_MEMORY_ANNOTATION)
    if declared and quantity.parse(declared):
        budget = WorkerMemory(per_worker=int(quantity.parse(declared) or 0))
    for path, item in containers(obj):
        env = container_env(item, ctx, namespace)
        resources = item.get("resources") or {}
        limits = resources.get("limits") or {}
        memory = quantity.parse(limits["memory"]) if "memory" in limits else None
        cpu_limit = quantity.parse(limits["cpu"]) if "cpu" in limits else None
        variable = next((v for v in WORKER_VARIABLES if v in env), None)
        count = _int(env.get(variable, "")) if variable else None
        runs_aloft = any(name.startswith("ALOFT_") for name in env) or _mentions_aloft(item)
        if not count:
            if not runs_aloft or variable == "WEB_CONCURRENCY":
                continue  # a count this rule cannot know
            if cpu_limit is None:
                fits = "" if memory is None else f"; {_fit(budget, memory)} fit in its memory limit"
                yield ManifestHit(
                    f"{path}.resources",
                    f"container {item.get('name')}: ALOFT_WORKERS is 0 or unset and there is no"
                    " CPU limit, so the worker count follows the CPU count of whatever node the"
                    f" pod lands on (64 workers on a 64-CPU node){fits}; set ALOFT_WORKERS or a"
                    " CPU limit",
                )
                continue
            count, source = workers_for_cpus(cpu_limit), f"CPU limit {limits['cpu']}"
        else:
            source = f"{variable}={count}"
        if memory is None:
            continue  # REL003 reports the missing limit
        needed = budget.needed(count)
        if needed > memory:
            yield ManifestHit(
                f"{path}.resources.limits.memory",
                f"container {item.get('name')}: {count} workers ({source}) need about"
                f" {quantity.mebibytes(needed)} but the memory limit is {limits['memory']};"
                f" {_fit(budget, memory)} fit: lower the worker count or raise the limit to"
                f" {quantity.mebibytes(needed)}",
            )


def container_env(item: dict[str, Any], ctx: KubeContext, namespace: Any) -> dict[str, str]:
    """Literal env values, including those of ConfigMaps in the same set of objects."""
    env: dict[str, str] = {}
    maps = {
        (o.get("metadata") or {}).get("name"): o.get("data") or {}
        for o in ctx.of_kind("ConfigMap")
        if (o.get("metadata") or {}).get("namespace") in (namespace, None)
    }
    for source in item.get("envFrom") or []:
        ref = (source or {}).get("configMapRef") or {}
        data = maps.get(ref.get("name"))
        if isinstance(data, dict):
            prefix = str(source.get("prefix") or "")
            env.update({prefix + str(k): str(v) for k, v in data.items()})
    for entry in item.get("env") or []:
        if not isinstance(entry, dict) or "name" not in entry:
            continue
        if "value" in entry:
            env[str(entry["name"])] = str(entry["value"])
        else:
            ref = ((entry.get("valueFrom") or {}).get("configMapKeyRef")) or {}
            data = maps.get(ref.get("name"))
            if isinstance(data, dict) and ref.get("key") in data:
                env[str(entry["name"])] = str(data[ref["key"]])
    return env


def _mentions_aloft(item: dict[str, Any]) -> bool:
    words = [*(item.get("command") or []), *(item.get("args") or [])]
    return any("aloft.runtime" in str(word) for word in words)


def _int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def _fit(budget: WorkerMemory, memory: float) -> str:
    fit = budget.fitting(int(memory))
    return f"{fit} worker{'s' if fit != 1 else ''}"
