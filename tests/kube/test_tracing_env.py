"""[tool.aloft.tracing] becomes the same OTEL_* variables on every target (one builder)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from kubekit import IMAGE, one, render_project, write_project

from aloft.config import load_config
from aloft.exceptions import ConfigError
from aloft.local import server as serving
from aloft.runtime import spans
from aloft.serverless.model import build_stack
from testkit import ALOFT

TRACING = """
[tool.aloft.tracing]
exporter = "otlp"
endpoint = "http://otel-collector.observability:4318"
sampling_ratio = 0.1
instrument = ["httpx", "redis"]
resource_attributes = { "team.name" = "payments" }

[tool.aloft.environments.prod]
tags = { environment = "prod" }
"""


def _otel(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith("OTEL_") or k == spans.INSTRUMENT_ENV}


def test_config_becomes_standard_otel_variables(tmp_path: Path) -> None:
    resolved = load_config(write_project(tmp_path, TRACING), environ={})
    assert _otel(resolved.config.runtime_env()) == {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector.observability:4318",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.1",
        "OTEL_RESOURCE_ATTRIBUTES": "service.version=0.1.0,team.name=payments",
        "ALOFT_TRACING_INSTRUMENT": "httpx,redis",
    }
    # What the runtime makes of them: export on, the same sampler.
    env = resolved.config.runtime_env()
    assert spans.enabled(env)
    export = spans.SpanExport(env)
    assert (export.sampling.name, export.sampling.ratio) == ("parentbased_traceidratio", 0.1)
    assert export.clients == ["httpx", "redis"]


def test_the_environment_names_the_deployment(tmp_path: Path) -> None:
    resolved = load_config(write_project(tmp_path, TRACING), environment="prod", environ={})
    attributes = resolved.config.runtime_env()["OTEL_RESOURCE_ATTRIBUTES"]
    assert "deployment.environment.name=prod" in attributes.split(",")


def test_off_by_default_adds_nothing(tmp_path: Path) -> None:
    resolved = load_config(write_project(tmp_path), environ={})
    assert _otel(resolved.config.runtime_env()) == {}
    assert not spans.enabled(resolved.config.runtime_env())


def test_kubernetes_lambda_and_aloft_run_get_the_same_tracing_env(tmp_path: Path) -> None:
    folder = write_project(tmp_path, TRACING)
    resolved = load_config(folder, environ={})
    expected = _otel(resolved.config.runtime_env())
    rendered = render_project(folder)
    config_map = one(rendered, "ConfigMap")
    assert _otel(config_map["data"]) == expected
    functions = build_stack(resolved).functions
    assert functions and all(_otel(dict(f.environment)) == expected for f in functions)
    assert _otel(serving.server_env(resolved, resolved.config.serve)) == expected


def test_kubernetes_pods_name_themselves_through_the_downward_api(tmp_path: Path) -> None:
    rendered = render_project(write_project(tmp_path, TRACING))
    container = one(rendered, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    fields = {
        e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"]
        for e in container.get("env", [])
        if "fieldRef" in e.get("valueFrom", {})
    }
    assert fields == {
        "K8S_POD_NAME": "metadata.name",
        "K8S_NAMESPACE_NAME": "metadata.namespace",
        "K8S_NODE_NAME": "spec.nodeName",
    }
    # ...which the runtime reads as the semantic conventions' resource attributes.
    named = spans.resource_attributes({"K8S_POD_NAME": "p", "K8S_NAMESPACE_NAME": "n"})
    assert (named["k8s.pod.name"], named["k8s.namespace.name"]) == ("p", "n")


def test_no_downward_api_env_without_tracing(tmp_path: Path) -> None:
    rendered = render_project(write_project(tmp_path))
    container = one(rendered, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert not any(e["name"].startswith("K8S_") for e in container.get("env", []))


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ('exporter = "otlp"\nendpoint = "collector:4318"', "endpoint"),
        ('exporter = "otlp"\nsampling_ratio = 1.5', "sampling_ratio"),
        ('exporter = "zipkin"', "exporter"),
        ('exporter = "otlp"\ninstrument = ["urllib3"]', "instrument"),
    ],
)
def test_bad_tracing_settings_are_one_line_naming_the_field(
    tmp_path: Path, table: str, field: str
) -> None:
    folder = write_project(tmp_path, f"[tool.aloft.tracing]\n{table}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(folder, environ={})
    message = str(caught.value)
    assert "tracing" in message and field in message and "\n" not in message.strip()
    done = subprocess.run(
        [*ALOFT, "config", "show", "--project", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr


def test_k8s_render_command_wires_the_exporter(tmp_path: Path) -> None:
    folder = write_project(tmp_path, TRACING)
    done = subprocess.run(
        [*ALOFT, "k8s", "render", "--project", str(folder), "--image", IMAGE],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "OTEL_EXPORTER_OTLP_ENDPOINT: http://otel-collector.observability:4318" in done.stdout
    assert "fieldPath: spec.nodeName" in done.stdout


def test_manifests_with_tracing_pass_the_kubernetes_schemas(tmp_path: Path) -> None:
    import kubernetes_validate

    rendered = render_project(write_project(tmp_path, TRACING))
    for manifest in rendered.objects:
        kubernetes_validate.validate(manifest, "1.31", strict=True)
