"""Which API versions a target cluster serves: rendering follows the cluster, not newest docs."""

from __future__ import annotations

import dataclasses
import re

from aloft.exceptions import ConfigError

_VERSION = re.compile(r"^v?(\d+)\.(\d+)")
# The newest minor whose schemas aloft ships (kubernetes-validate); the default target.
LATEST_MINOR = 37


@dataclasses.dataclass(frozen=True, order=True)
class KubeVersion:
    major: int
    minor: int

    @classmethod
    def parse(cls, text: str, *, what: str = "--kube-version") -> KubeVersion:
        match = _VERSION.match(text.strip())
        if not match:
            raise ConfigError(f'{what} = "{text}": use a Kubernetes version such as 1.20 or 1.31')
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def latest(cls) -> KubeVersion:
        return cls(1, LATEST_MINOR)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def at_least(self, minor: int) -> bool:
        return (self.major, self.minor) >= (1, minor)

    @property
    def autoscaling(self) -> str:
        # autoscaling/v2 is GA from 1.23; v2beta2 has the same shape and is served from 1.12.
        return "autoscaling/v2" if self.at_least(23) else "autoscaling/v2beta2"

    @property
    def pdb(self) -> str:
        return "policy/v1" if self.at_least(21) else "policy/v1beta1"

    @property
    def seccomp_annotation(self) -> bool:
        """Below 1.25 PodSecurityPolicy may still judge seccomp by the old pod annotation."""
        return not self.at_least(25)

    @property
    def cronjob(self) -> str:
        # batch/v1 CronJob is GA from 1.21; v1beta1 has the same shape and is served until 1.25.
        return "batch/v1" if self.at_least(21) else "batch/v1beta1"
