"""Comparisons more than one check applies, kept in one place so the checks cannot disagree.

`aloft k8s check` reads them off rendered manifests (REL008), `aloft doctor` off the project config
before anything is rendered (ALC002); both ask the same question through the same function.
"""

from __future__ import annotations


def shutdown_overrun(grace: float, *, prestop: float = 0.0, drain: float = 0.0) -> float | None:
    """The seconds a pod needs after SIGTERM when they reach its grace period, else None.

    terminationGracePeriodSeconds counts from SIGTERM and covers the preStop hook too; aloft's
    runtime then serves for drain_delay and drains for up to drain_timeout (`drain` is their sum).
    Needing the whole grace period is already too long: the kubelet's SIGKILL lands as the drain
    would end, and the process still has to exit.
    """
    needed = prestop + drain
    return needed if needed >= grace else None
