"""`aloft build --target lambda`: the container build's layers, configured as a Lambda image.

Lambda starts an image's ENTRYPOINT with its CMD (or a function's ImageConfig.Command) as the
arguments and feeds it events over the Runtime API. aloft's stdlib Runtime API client is already
in the dependency layer, so the layers stay byte-for-byte those of the container build (cached and
pushed once) and only the image config differs. Lambda's own rules shape the rest: one
architecture per image, USER is ignored (files must be readable by any user), the root is
read-only with only /tmp writable, and nothing listens on a port.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from aloft.config import ResolvedConfig
from aloft.exceptions import ConfigError
from aloft.image.base import BaseImage
from aloft.image.oci import Platform

# [tool.aloft.lambda] architecture -> the image platform Lambda runs it on.
ARCHITECTURES = {"x86_64": "linux/amd64", "arm64": "linux/arm64"}
RUNTIME_MODULE = "aloft.runtime.aws_lambda"


@dataclasses.dataclass(frozen=True)
class FunctionCommand:
    """What one function of the project passes as the image's CMD (ImageConfig.Command).

    The caller builds these from the serverless resource model (the one owner of each
    function's name and handler) and hands them to the build as plain values: the image layer
    never imports serverless.
    """

    name: str  # the AWS function name
    key: str  # its name in [tool.aloft.lambda.functions]
    command: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "key": self.key, "cmd": list(self.command)}


def default_platforms(resolved: ResolvedConfig) -> list[str]:
    return [ARCHITECTURES[resolved.config.lambda_.architecture]]


def check_platforms(platforms: tuple[Platform, ...], resolved: ResolvedConfig) -> None:
    if len(platforms) != 1:
        given = ",".join(str(p) for p in platforms) or "none"
        raise ConfigError(
            f"--target lambda: Lambda runs single-architecture images, got {given}; pass one "
            "--platform (linux/amd64 or linux/arm64) or omit it to use [tool.aloft.lambda] "
            "architecture"
        )
    (platform,) = platforms
    if str(platform) not in ARCHITECTURES.values():
        raise ConfigError(
            f"--target lambda: Lambda has no {platform} architecture; use --platform "
            "linux/amd64 or linux/arm64"
        )
    architecture = resolved.config.lambda_.architecture
    if str(platform) != ARCHITECTURES[architecture]:
        # The functions would be deployed for one architecture and handed an image of another.
        raise ConfigError(
            f"--target lambda: --platform {platform} does not match [tool.aloft.lambda] "
            f'architecture = "{architecture}"; drop --platform or change the architecture'
        )


def lambda_config(
    config: dict[str, Any], base: BaseImage, workdir: str, command: tuple[str, ...]
) -> dict[str, Any]:
    """The container build's image config turned into a Lambda one; `command` becomes CMD."""
    out = copy.deepcopy(config)
    inner = out["config"]
    env: dict[str, str] = {}
    for item in inner.get("Env") or []:
        key, _, value = item.partition("=")
        env[key] = value
    # Where Lambda's own base images put the code; the runtime client adds it to sys.path too.
    env["LAMBDA_TASK_ROOT"] = workdir
    inner["Env"] = [f"{k}={v}" for k, v in sorted(env.items())]
    inner["Entrypoint"] = [base.python, "-m", RUNTIME_MODULE]
    inner["Cmd"] = list(command)
    inner["WorkingDir"] = workdir
    # Lambda routes events, not connections: no port to expose, no HTTP health check.
    inner.pop("ExposedPorts", None)
    inner.pop("Healthcheck", None)
    return out
