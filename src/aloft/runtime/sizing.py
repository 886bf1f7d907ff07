"""How many workers a pod's CPU and memory can carry: the one place that arithmetic lives.

Used by the runtime (its default worker count, from the cgroup limits), by the Kubernetes
renderer (the worker count it writes next to the memory it requests), by `aloft k8s check` (the
mismatch in manifests aloft did not write) and by `aloft cost` right-sizing (the memory a worker
count needs). Standard library only: it ships inside users' images.

A pre-forked server needs one master plus N workers in memory. Workers share the app's imported
(frozen) pages with the master copy-on-write, but each soon holds its own heap, buffers and
connection pools; a worker count taken from CPUs alone (no CPU limit: every CPU of the node) is
how a 256Mi pod on a 64-CPU node gets 64 workers and is OOM-killed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIB = 1024 * 1024
# A typical web app's worker once warm (FastAPI/Flask/Django with a DB client), and the master
# (the app imported once, gc-frozen, plus gunicorn). `aloft profile` measures the real figure.
WORKER_MIB = 64
MASTER_MIB = 48


@dataclass(frozen=True)
class WorkerMemory:
    """What one worker and the master need, in bytes."""

    per_worker: int = WORKER_MIB * MIB
    master: int = MASTER_MIB * MIB

    def needed(self, workers: int) -> int:
        """Memory for the master and `workers` workers."""
        return self.master + max(0, workers) * self.per_worker

    def fitting(self, memory_limit: int) -> int:
        """How many workers fit beside the master in `memory_limit` (0 when not even one)."""
        if self.per_worker <= 0:
            return 1 << 16
        return max(0, (memory_limit - self.master) // self.per_worker)


def workers_for_cpus(cpus: float) -> int:
    """One worker per CPU, rounded up: a 250m pod still runs one."""
    return max(1, math.ceil(cpus - 1e-9))


def worker_count(
    cpus: float | None, memory_limit: int | None, memory: WorkerMemory | None = None
) -> int:
    """Workers for what the pod is given: one per CPU it may use, no more than its memory limit
    holds (when it has one), and never fewer than one."""
    by_cpu = workers_for_cpus(cpus) if cpus else 1
    if memory_limit is None:
        return by_cpu
    return max(1, min(by_cpu, (memory or WorkerMemory()).fitting(memory_limit)))
