"""Where an artifact runs: Python version, CPU and C library, as one plain value."""

from __future__ import annotations

import dataclasses

from aloft.exceptions import OperationFailed

# manylinux tags uv can target (`uv pip install --python-platform`); a newer glibc runs them all.
_UV_MANYLINUX = (17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40)
_MACHINES = {"amd64": "x86_64", "x86_64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}
# The C library of Lambda's managed runtimes: python3.11 runs on Amazon Linux 2 (glibc 2.26),
# python3.12 and later on Amazon Linux 2023 (glibc 2.34).
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html (read 2026-12)
_LAMBDA_GLIBC = {"3.11": "2.26"}
_LAMBDA_GLIBC_DEFAULT = "2.34"


@dataclasses.dataclass(frozen=True)
class Target:
    python: str  # major.minor, e.g. "3.12"
    machine: str  # x86_64 or aarch64
    glibc: str = "2.17"
    label: str = ""  # the target in the user's words, for messages: linux/amd64, Lambda arm64

    @classmethod
    def of(cls, python: str, architecture: str, glibc: str = "", label: str = "") -> Target:
        machine = _MACHINES.get(architecture)
        if machine is None:
            raise OperationFailed(
                f"architecture {architecture}: aloft installs wheels for x86_64/amd64 and "
                "arm64/aarch64"
            )
        minor = ".".join(python.split(".")[:2])
        return cls(minor, machine, glibc or "2.17", label or f"{machine} Python {minor}")

    @classmethod
    def lambda_runtime(cls, python: str, architecture: str) -> Target:
        glibc = _LAMBDA_GLIBC.get(python, _LAMBDA_GLIBC_DEFAULT)
        return cls.of(python, architecture, glibc, f"Lambda {architecture} python{python}")

    @property
    def uv_platform(self) -> str:
        major, _, minor = self.glibc.partition(".")
        wanted = int(minor.split(".")[0]) if major == "2" and minor else 17
        tag = max(t for t in _UV_MANYLINUX if t <= max(wanted, 17))
        return f"{self.machine}-manylinux_2_{tag}"

    def runs_here(self) -> bool:
        """Whether this machine can load the target's native extensions."""
        import platform

        return _MACHINES.get(platform.machine(), "") == self.machine
