"""`[tool.aloft.tracing]`: export the server span of every request and event over OTLP.

    [tool.aloft.tracing]
    exporter = "otlp"
    endpoint = "http://otel-collector.observability:4318"
    sampling_ratio = 0.1                      # parent-based: whole traces kept or dropped
    instrument = ["httpx", "redis"]           # child spans + traceparent on outgoing calls
    resource_attributes = { "team" = "shop" }

The runtime reads the standard OTEL_* variables this table becomes (`to_env`), so a platform's own
OTEL_* settings work the same way. The app needs `aloft-runtime[otel]` (and, for `instrument`,
each client's `opentelemetry-instrumentation-<client>` package).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aloft.runtime.spans import INSTRUMENT_ENV

Client = Literal["httpx", "requests", "redis", "botocore"]
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


class TracingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exporter: Literal["none", "otlp"] = Field(
        default="none", description='"otlp" exports spans; "none" keeps only the ids on logs'
    )
    endpoint: str = Field(
        default="",
        description="the OTLP receiver's base URL (http/protobuf: port 4318, /v1/traces is"
        " added); empty: OpenTelemetry's default, http://localhost:4318",
    )
    protocol: Literal["http/protobuf", "grpc"] = Field(
        default="http/protobuf",
        description="grpc needs opentelemetry-exporter-otlp-proto-grpc in the app",
    )
    sampling_ratio: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="share of new traces kept; a caller's sampled flag is followed (parent-based)",
    )
    instrument: list[Client] = Field(
        default_factory=list,
        description="clients whose outgoing calls get child spans and a traceparent",
    )
    resource_attributes: dict[str, str] = Field(
        default_factory=dict, description="extra attributes of every span's resource"
    )
    # Filled by the loader from [project] version and the environment (--env or tags).
    service_version: str = Field(default="", description="service.version; default: [project]")
    environment: str = Field(
        default="", description="deployment.environment.name; default: --env or tags.environment"
    )

    @field_validator("endpoint")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
            raise ValueError(
                f"{value!r} is not an http(s) URL; use e.g. http://otel-collector:4318"
            )
        return value

    @field_validator("resource_attributes")
    @classmethod
    def _attributes(cls, value: dict[str, str]) -> dict[str, str]:
        for key, item in value.items():
            if not _KEY.match(key) or any(c in item for c in ",="):
                raise ValueError(
                    f"{key} = {item!r}: keys are dotted names, values may not hold ',' or '='"
                )
        return value

    @property
    def on(self) -> bool:
        return self.exporter == "otlp"

    def to_env(self) -> dict[str, str]:
        """The OTEL_* (and ALOFT_TRACING_INSTRUMENT) variables the runtime reads; none when off.

        The service name is not here: the runtime takes it from ALOFT_SERVICE, which differs
        per Kubernetes service and Lambda function."""
        if not self.on:
            return {}
        env = {
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": self.protocol,
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": f"{self.sampling_ratio:g}",
        }
        if self.endpoint:
            env["OTEL_EXPORTER_OTLP_ENDPOINT"] = self.endpoint
        attributes = dict(self.resource_attributes)
        if self.service_version:
            attributes.setdefault("service.version", self.service_version)
        if self.environment:
            attributes.setdefault("deployment.environment.name", self.environment)
        if attributes:
            env["OTEL_RESOURCE_ATTRIBUTES"] = ",".join(
                f"{k}={v}" for k, v in sorted(attributes.items())
            )
        if self.instrument:
            env[INSTRUMENT_ENV] = ",".join(self.instrument)
        return env
