"""How long a pod needs after SIGTERM against the grace period Kubernetes gives it: one answer.

The renderer derives the grace period from it and refuses a configured one that falls short
(kube/spec.py), `aloft k8s check` REL008 reads it off rendered manifests (a preStop sleep) and
`aloft doctor` ALC002 off the config before anything is rendered. All three ask this module, so
they cannot disagree.
"""

from __future__ import annotations

import dataclasses
import math

# Seconds beyond delay + drain timeout for the process to exit and the kubelet to notice.
GRACE_MARGIN = 5


@dataclasses.dataclass(frozen=True)
class Shutdown:
    """A pod's shutdown: the seconds it needs after SIGTERM and the grace period it gets."""

    needed: float  # preStop hook + the runtime's drain_delay + drain_timeout
    grace: float  # terminationGracePeriodSeconds: configured, else derived from `needed`
    derived: bool  # the grace period was derived here (so it always fits)

    @property
    def overruns(self) -> bool:
        """terminationGracePeriodSeconds counts from SIGTERM and covers the preStop hook too.
        Needing the whole grace period is already too long: the kubelet's SIGKILL lands as the
        drain would end, and the process still has to exit."""
        return self.needed >= self.grace

    @property
    def least_grace(self) -> int:
        """A whole grace period that fits, to suggest in a fix."""
        return math.ceil(self.needed) + 1


def shutdown(
    grace: float | None = None,
    *,
    drain_delay: float = 0.0,
    drain_timeout: float = 0.0,
    prestop: float = 0.0,
) -> Shutdown:
    """The shutdown of a pod whose runtime serves for `drain_delay` after SIGTERM (readiness
    failing), then drains for up to `drain_timeout`, after a preStop hook of `prestop` seconds.

    `grace` None means unset: the grace period is then the need plus GRACE_MARGIN, rounded up.
    """
    needed = prestop + drain_delay + drain_timeout
    if grace is None:
        return Shutdown(needed, math.ceil(needed + GRACE_MARGIN), derived=True)
    return Shutdown(needed, grace, derived=False)
