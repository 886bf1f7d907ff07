"""The container's CPU quota and memory limit, from cgroup v2 or v1.

A container on a 64-core node with `cpu: 2` must start 2 workers, not 64: os.cpu_count() sees the
node. Walks from the process's own cgroup up to the mount point and keeps the tightest limit,
as the kernel enforces every ancestor's.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

_UNLIMITED_V1 = 1 << 60  # v1 reports "no limit" as a huge page-rounded number


@dataclass(frozen=True)
class Limits:
    cpu_quota: float | None  # CPUs the quota allows, None when unlimited
    cpus_visible: int  # CPUs this process may run on (affinity)
    memory_bytes: int | None  # None when unlimited
    source: str  # "cgroup v2", "cgroup v1" or "none"

    @property
    def cpus(self) -> float:
        if self.cpu_quota is None:
            return float(self.cpus_visible)
        return min(self.cpu_quota, float(self.cpus_visible))

    def default_workers(self) -> int:
        """One worker per CPU the container may use, rounded up, no more than its memory limit
        holds, at least one."""
        from aloft.runtime.sizing import worker_count

        return worker_count(self.cpus, self.memory_bytes)


def _mounts(mountinfo: str) -> tuple[str | None, dict[str, tuple[str, str]]]:
    """(cgroup2 mount point, {v1 controller: (mount root, mount point)})."""
    v2: str | None = None
    v1: dict[str, tuple[str, str]] = {}
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        root, mount_point, fstype = fields[3], fields[4], tail[0]
        if fstype == "cgroup2" and v2 is None:
            v2 = mount_point
        elif fstype == "cgroup":
            for option in tail[2].split(","):
                v1.setdefault(option, (root, mount_point))
    return v2, v1


def _paths(proc_cgroup: str) -> tuple[str | None, dict[str, str]]:
    v2: str | None = None
    v1: dict[str, str] = {}
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            v2 = parts[2]
        for controller in parts[1].split(","):
            if controller:
                v1[controller] = parts[2]
    return v2, v1


def _chain(mount_point: str, mount_root: str, path: str) -> list[str]:
    """The cgroup's directory and each ancestor's, up to the mount point."""
    rel = path[len(mount_root) :] if mount_root != "/" and path.startswith(mount_root) else path
    parts = [p for p in rel.split("/") if p]
    return [os.path.join(mount_point, *parts[:i]) for i in range(len(parts), -1, -1)]


def _read(path: str) -> str | None:
    try:
        with open(path) as fh:
            return fh.read().strip()
    except OSError:
        return None


def read_limits(proc: str = "/proc/self") -> Limits:
    try:
        visible = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        visible = os.cpu_count() or 1
    mountinfo, cgroup = _read(f"{proc}/mountinfo"), _read(f"{proc}/cgroup")
    if mountinfo is None or cgroup is None:
        return Limits(None, visible, None, "none")
    v2_mount, v1_mounts = _mounts(mountinfo)
    v2_path, v1_paths = _paths(cgroup)
    cpu: float | None = None
    memory: int | None = None
    sources = set()
    if "cpu" in v1_mounts and "cpu" in v1_paths:
        root, mount_point = v1_mounts["cpu"]
        for folder in _chain(mount_point, root, v1_paths["cpu"]):
            quota, period = (
                _read(f"{folder}/cpu.cfs_quota_us"),
                _read(f"{folder}/cpu.cfs_period_us"),
            )
            if (
                quota
                and period
                and quota.lstrip("-").isdigit()
                and int(quota) > 0
                and int(period) > 0
            ):
                cpu = min(cpu or math.inf, int(quota) / int(period))
                sources.add("cgroup v1")
    if "memory" in v1_mounts and "memory" in v1_paths:
        root, mount_point = v1_mounts["memory"]
        for folder in _chain(mount_point, root, v1_paths["memory"]):
            limit = _read(f"{folder}/memory.limit_in_bytes")
            if limit and limit.isdigit() and int(limit) < _UNLIMITED_V1:
                memory = min(memory or int(limit), int(limit))
                sources.add("cgroup v1")
    if v2_mount is not None and v2_path is not None:
        for folder in _chain(v2_mount, "/", v2_path):
            cpu_max = (_read(f"{folder}/cpu.max") or "max").split()
            if len(cpu_max) == 2 and cpu_max[0] != "max" and cpu_max[0].isdigit():
                cpu = min(cpu or math.inf, int(cpu_max[0]) / int(cpu_max[1]))
                sources.add("cgroup v2")
            mem_max = _read(f"{folder}/memory.max")
            if mem_max and mem_max.isdigit():
                memory = min(memory or int(mem_max), int(mem_max))
                sources.add("cgroup v2")
    return Limits(cpu, visible, memory, " + ".join(sorted(sources)) or "none")
