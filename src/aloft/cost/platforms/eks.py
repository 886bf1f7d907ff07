"""Kubernetes on EKS: the control plane fee plus worker nodes (plus the load balancer).

Replicas follow the traffic hour by hour (ceil(req/s / per-pod capacity), within the HPA's min and
max); identical pods are bin-packed onto the chosen node type by their requests against the node's
allocatable (what the EKS AMI reserves for the kubelet and the per-node daemonsets taken off), and
the node count follows the pods, as the cluster autoscaler would.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from aloft.cost.catalog import Catalog, InstanceType
from aloft.cost.estimate import Estimate, Line, fmt_count, line
from aloft.cost.platforms.capacity import capacity_month, replicas_per_hour
from aloft.exceptions import ConfigError


@dataclasses.dataclass(frozen=True)
class Allocatable:
    cpu: float
    memory_mib: float
    pod_slots: int


def allocatable(node: InstanceType, catalog: Catalog) -> Allocatable:
    fractions = [float(f) for f in catalog.fact("eks", "kube_reserved_cpu_fractions")]
    above = float(catalog.fact("eks", "kube_reserved_cpu_fraction_above"))
    cores = math.ceil(node.vcpu)
    reserved_cpu = sum(fractions[i] if i < len(fractions) else above for i in range(cores))
    reserved_mem = (
        float(catalog.fact("eks", "kube_reserved_memory_mib_base"))
        + float(catalog.fact("eks", "kube_reserved_memory_mib_per_pod")) * node.max_pods
        + float(catalog.fact("eks", "eviction_memory_mib"))
    )
    return Allocatable(
        cpu=node.vcpu - reserved_cpu - float(catalog.fact("eks", "daemonset_cpu")),
        memory_mib=node.memory_gib * 1024
        - reserved_mem
        - float(catalog.fact("eks", "daemonset_memory_mib")),
        pod_slots=node.max_pods - int(catalog.fact("eks", "daemonset_pods")),
    )


@dataclasses.dataclass(frozen=True)
class EksSpec:
    node_type: str = "m6i.large"
    nodes: int | None = None  # fixed node count; None: follow the pods
    pod_cpu: float = 0.25  # CPU request, cores
    pod_memory_mib: float = 512.0
    pod_rps: float | None = None
    hpa_min: int = 2
    hpa_max: int = 10
    min_nodes: int = 1
    clusters: int = 1
    support: str = "standard"
    load_balancer: bool = False
    request_kb: float = 1.0
    response_kb: float = 4.0
    # Off-hours scale-down: a repeating week of 168 hours (hour 0 = Monday 00:00 in the window's
    # zone), pods at zero where False; empty: always on.
    active: tuple[bool, ...] = ()

    platform = "eks"
    kind = "container"

    @property
    def label(self) -> str:
        if self.nodes is not None:
            return f"EKS, {self.nodes} x {self.node_type}"
        return (
            f"EKS on {self.node_type}, pods {self.pod_cpu:g} CPU / {self.pod_memory_mib:g} MiB,"
            f" HPA {self.hpa_min}-{self.hpa_max} at {self.pod_rps:g} req/s per pod"
        )

    def validate(self, catalog: Catalog) -> InstanceType:
        node = catalog.instance(self.node_type)
        if self.support not in ("standard", "extended"):
            raise ConfigError(f"EKS support {self.support!r}: use standard or extended")
        if self.nodes is not None and self.nodes < 0:
            raise ConfigError(f"EKS nodes {self.nodes}: use 0 or more")
        if self.clusters < 1:
            raise ConfigError(f"EKS clusters {self.clusters}: use 1 or more")
        if self.nodes is None:
            if self.pod_rps is None or not self.pod_rps > 0:
                raise ConfigError("EKS: give a fixed node count or the requests/s one pod serves")
            if not 0 < self.hpa_min <= self.hpa_max:
                raise ConfigError(
                    f"EKS HPA min {self.hpa_min} / max {self.hpa_max}: need 1 <= min <= max"
                )
            if not (self.pod_cpu > 0 and self.pod_memory_mib > 0):
                raise ConfigError("EKS pod requests: CPU and memory must be above 0")
            if self.pods_per_node(node, catalog) < 1:
                room = allocatable(node, catalog)
                raise ConfigError(
                    f"EKS pod requests {self.pod_cpu:g} CPU / {self.pod_memory_mib:g} MiB"
                    " do not fit a"
                    f" {node.name} (allocatable {room.cpu:.3f} CPU / {room.memory_mib:.0f} MiB);"
                    " pick a larger node type or smaller requests"
                )
        return node

    def pods_per_node(self, node: InstanceType, catalog: Catalog) -> int:
        room = allocatable(node, catalog)
        by_cpu = math.floor(room.cpu / self.pod_cpu + 1e-9)
        by_mem = math.floor(room.memory_mib / self.pod_memory_mib + 1e-9)
        return max(0, min(by_cpu, by_mem, room.pod_slots))

    def nodes_per_hour(
        self, hourly: Sequence[float], catalog: Catalog
    ) -> tuple[list[int], list[int]]:
        """(replicas, nodes) for each hour."""
        node = catalog.instance(self.node_type)
        if self.nodes is not None:
            return [0] * len(hourly), [self.nodes] * len(hourly)
        assert self.pod_rps is not None
        fit = self.pods_per_node(node, catalog)
        replicas = replicas_per_hour(hourly, self.pod_rps, self.hpa_min, self.hpa_max, self.active)
        nodes = [max(self.min_nodes, -(-n // fit)) for n in replicas]
        return replicas, nodes

    def month(self, hourly: Sequence[float], catalog: Catalog) -> Estimate:
        node = self.validate(catalog)
        hours = len(hourly)
        replicas, nodes = self.nodes_per_hour(hourly, catalog)
        node_hours = float(sum(nodes))
        plane = catalog.price(f"eks.control_plane.{self.support}")
        lines: list[Line] = [
            line(
                "EKS control plane",
                float(self.clusters * hours),
                plane.unit,
                plane.usd,
                f"{self.clusters} cluster x {hours} h ({self.support} support)",
                plane.key,
            ),
        ]
        if self.nodes is not None:
            basis = f"{self.nodes} x {node.name} x {hours} h"
        else:
            fit = self.pods_per_node(node, catalog)
            room = allocatable(node, catalog)
            basis = (
                f"{fmt_count(node_hours)} node-hours:"
                f" ceil(replicas / {fit} pods per node) per hour,"
                f" >= {self.min_nodes}; {fit} = min({room.cpu:.3f} CPU / {self.pod_cpu:g},"
                f" {room.memory_mib:.0f} MiB / {self.pod_memory_mib:g},"
                f" {room.pod_slots} pod slots);"
                f" replicas = ceil(req/s / {self.pod_rps:g}) in {self.hpa_min}-{self.hpa_max}"
            )
        lines.append(
            line(
                f"{node.name} nodes",
                node_hours,
                node.price.unit,
                node.price.usd,
                basis,
                node.price.key,
            )
        )
        return capacity_month(
            self,
            hourly,
            catalog,
            lines,
            billed=nodes,
            scaled=replicas,
            per_replica_rps=self.pod_rps if self.nodes is None else None,
            cap=f"hpa_max={self.hpa_max} replicas",
        )
