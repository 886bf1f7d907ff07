"""The one worker-sizing arithmetic (aloft.runtime.sizing) that the runtime, the renderer,
`aloft k8s check` and `aloft cost` share."""

from __future__ import annotations

from aloft.runtime.cgroup import Limits
from aloft.runtime.sizing import MIB, WorkerMemory, worker_count


def test_a_64_cpu_node_with_256mi_gets_the_workers_that_fit_not_64() -> None:
    assert worker_count(64, 256 * MIB) == 3  # 48Mi master + 3 x 64Mi


def test_cpu_bounds_the_count_when_memory_is_plentiful() -> None:
    assert worker_count(0.25, 4096 * MIB) == 1
    assert worker_count(2.5, 4096 * MIB) == 3
    assert worker_count(4, None) == 4


def test_never_fewer_than_one_worker() -> None:
    assert worker_count(8, 16 * MIB) == 1


def test_needed_and_fitting_are_inverse() -> None:
    budget = WorkerMemory(per_worker=100 * MIB, master=50 * MIB)
    for workers in range(1, 20):
        assert budget.fitting(budget.needed(workers)) == workers
        assert budget.fitting(budget.needed(workers) - 1) == workers - 1


def test_runtime_default_respects_the_memory_limit() -> None:
    limits = Limits(cpu_quota=None, cpus_visible=64, memory_bytes=256 * MIB, source="cgroup v2")
    assert limits.default_workers() == 3
    assert Limits(None, 64, None, "none").default_workers() == 64
    assert Limits(2.0, 64, 8192 * MIB, "cgroup v2").default_workers() == 2
