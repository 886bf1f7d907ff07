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

from aloft.config.schema import setting, table
from aloft.runtime.spans import INSTRUMENT_ENV

Client = Literal["httpx", "requests", "redis", "botocore"]
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")


def _url(value: str) -> str:
    if value and not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
        raise ValueError(f"{value!r} is not an http(s) URL; use e.g. http://otel-collector:4318")
    return value


def _attributes(value: dict[str, str]) -> dict[str, str]:
    for key, item in value.items():
        if not _KEY.match(key) or any(c in item for c in ",="):
            raise ValueError(
                f"{key} = {item!r}: keys are dotted names, values may not hold ',' or '='"
            )
    return value


@table
class TracingSettings:
    exporter: Literal["none", "otlp"] = setting(
        default="none", doc='"otlp" exports spans; "none" keeps only the ids on logs'
    )
    endpoint: str = setting(
        default="",
        doc="the OTLP receiver's base URL (http/protobuf: port 4318, /v1/traces is"
        " added); empty: OpenTelemetry's default, http://localhost:4318",
        check=_url,
    )
    protocol: Literal["http/protobuf", "grpc"] = setting(
        default="http/protobuf",
        doc="grpc needs opentelemetry-exporter-otlp-proto-grpc in the app",
    )
    sampling_ratio: float = setting(
        default=1.0,
        ge=0.0,
        le=1.0,
        doc="share of new traces kept; a caller's sampled flag is followed (parent-based)",
    )
    instrument: list[Client] = setting(
        default_factory=list,
        doc="clients whose outgoing calls get child spans and a traceparent",
    )
    resource_attributes: dict[str, str] = setting(
        default_factory=dict, doc="extra attributes of every span's resource", check=_attributes
    )
    # Filled by the loader from [project] version and the environment (--env or tags).
    service_version: str = setting(default="", doc="service.version; default: [project]")
    environment: str = setting(
        default="", doc="deployment.environment.name; default: --env or tags.environment"
    )

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
