"""`aloft build --target lambda`: the container build's layers with aloft's Runtime API client as
the entrypoint, run by runc against aloft's Lambda emulator as Lambda would run it."""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from imagehelpers import aloft, skopeo
from lambdaimagekit import lambda_container, make_lambda_project, unpack

from aloft.config import load_config
from aloft.exceptions import ConfigError
from aloft.image.base import BaseImage
from aloft.serverless.http_events import http_event, http_response

ENTRY_HANDLER = "aloft.runtime.aws_lambda.entry.handler"


@dataclass(frozen=True)
class LambdaBuild:
    project: Path
    layout: Path
    summary: dict[str, Any]
    bundle: Path
    seconds: float


@pytest.fixture(scope="module")
def lambda_build(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_template: Path,
    cache_dir: Path,
    base_amd64: BaseImage,
) -> LambdaBuild:
    folder = tmp_path_factory.mktemp("lambda-target")
    project = make_lambda_project(Path(shutil.copytree(tiny_template, folder / "tiny")))
    layout = folder / "oci"
    started = time.perf_counter()
    result = aloft(
        "build",
        "--project",
        str(project),
        "--target",
        "lambda",
        "--layout",
        str(layout),
        "-o",
        "json",
        cache=cache_dir,
    )
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stderr
    bundle = folder / "bundle"
    unpack(layout, "latest", bundle)
    return LambdaBuild(project, layout, json.loads(result.stdout), bundle, seconds)


def _config(layout: Path) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(skopeo("inspect", "--config", f"oci:{layout}:latest").stdout)
    return value


def test_lambda_image_runs_the_runtime_client_with_the_handler_as_cmd(
    lambda_build: LambdaBuild, base_amd64: BaseImage
) -> None:
    image = _config(lambda_build.layout)
    config = image["config"]
    assert image["architecture"] == "amd64"
    assert config["Entrypoint"] == [base_amd64.python, "-m", "aloft.runtime.aws_lambda"]
    assert config["Cmd"] == [ENTRY_HANDLER]
    assert config["User"] == "65532:65532"
    assert config["WorkingDir"] == "/app"
    assert "LAMBDA_TASK_ROOT=/app" in config["Env"]
    assert "ExposedPorts" not in config
    assert "Healthcheck" not in config


def test_summary_lists_target_platform_entrypoint_and_each_functions_cmd(
    lambda_build: LambdaBuild, base_amd64: BaseImage
) -> None:
    summary = lambda_build.summary
    assert summary["target"] == "lambda"
    assert summary["media_type"] == "manifest"
    (platform,) = summary["platforms"]
    assert platform["platform"] == "linux/amd64"
    assert platform["entrypoint"] == [base_amd64.python, "-m", "aloft.runtime.aws_lambda"]
    assert platform["cmd"] == [ENTRY_HANDLER]
    assert summary["functions"] == [
        {"name": "tiny-api", "key": "api", "cmd": [ENTRY_HANDLER]},
        {"name": "tiny-worker", "key": "worker", "cmd": ["tiny.worker"]},
    ]


def test_lambda_and_container_images_share_every_layer(
    lambda_build: LambdaBuild, cache_dir: Path
) -> None:
    result = aloft("build", "--project", str(lambda_build.project), "-o", "json", cache=cache_dir)
    assert result.returncode == 0, result.stderr
    container = json.loads(result.stdout)
    assert container["target"] == "container"
    (platform,) = container["platforms"]
    assert platform["reused"] == ["dependencies", "app"]
    assert platform["cmd"] == []
    assert platform["entrypoint"][1:] == ["-m", "aloft.runtime", "serve"]
    assert platform["layers"] == lambda_build.summary["platforms"][0]["layers"]
    assert container["digest"] != lambda_build.summary["digest"]


def test_every_file_in_the_image_is_readable_by_any_user(lambda_build: LambdaBuild) -> None:
    # Lambda ignores USER and runs the image as its own unprivileged user. Only root's home
    # may stay private, as on any Linux system.
    rootfs = lambda_build.bundle / "rootfs"
    unreadable = []
    for current, dirs, files in os.walk(rootfs):
        if Path(current) == rootfs:
            dirs.remove("root")
        for name in dirs + files:
            path = Path(current) / name
            mode = path.lstat().st_mode
            if path.is_symlink():
                continue
            needed = 0o005 if path.is_dir() else 0o004
            if mode & needed != needed:
                unreadable.append(str(path.relative_to(rootfs)))
    assert unreadable == []


def test_lambda_image_answers_api_gateway_events_in_runc_as_non_root_on_a_read_only_root(
    lambda_build: LambdaBuild,
) -> None:
    event = http_event("v2", "GET", "/", "", [("host", "api.localhost")])
    with lambda_container(lambda_build.bundle, "tiny-api") as (emulator, lines):
        cold = emulator.invoke(json.dumps(event).encode())
        assert cold.ok, (cold.status, cold.payload, lines)
        warm = emulator.invoke(json.dumps(event).encode())
        assert warm.ok, (warm.status, warm.payload, lines)
    print(f"\nlambda image in runc: cold {cold.duration:.3f}s, warm {warm.duration * 1000:.1f}ms")
    assert cold.cold and not warm.cold
    status, _, body = http_response("v2", json.loads(cold.payload))
    assert status == 200
    answer = json.loads(body)
    assert answer["uid"] == 65532
    assert answer["cwd"] == "/app"
    assert answer["function"] == "tiny-api"
    assert "ro" in answer["root_options"]
    assert answer["tmp_writable"] is True
    assert answer["cwd_writable"] is False


def test_another_function_runs_from_the_same_image_by_overriding_cmd(
    lambda_build: LambdaBuild,
) -> None:
    image = _config(lambda_build.layout)["config"]
    worker = next(f for f in lambda_build.summary["functions"] if f["key"] == "worker")
    args = [*image["Entrypoint"], *worker["cmd"]]
    with lambda_container(lambda_build.bundle, worker["name"], args) as (emulator, lines):
        result = emulator.invoke(b'{"job": 7}')
    assert result.ok, (result.status, result.payload, lines)
    assert json.loads(result.payload) == {
        "worker": "tiny-worker",
        "event": {"job": 7},
        "uid": 65532,
    }


def test_target_and_architecture_come_from_the_project_config(
    tiny: Path, cache_dir: Path, base_arm64: BaseImage, tmp_path: Path
) -> None:
    pyproject = tiny / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("port = 8000\n", "port = 8000\n\n[tool.aloft.image]\n")
        + 'target = "lambda"\n\n[tool.aloft.lambda]\narchitecture = "arm64"\n'
    )
    result = aloft(
        "build",
        "--project",
        str(tiny),
        "--layout",
        str(tmp_path / "oci"),
        "-o",
        "json",
        cache=cache_dir,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["target"] == "lambda"
    image = _config(tmp_path / "oci")
    assert image["architecture"] == "arm64"
    assert image["config"]["Entrypoint"] == [base_arm64.python, "-m", "aloft.runtime.aws_lambda"]


def test_two_platforms_for_lambda_exit_2_with_one_line_naming_the_fix(
    tiny: Path, tmp_path: Path
) -> None:
    result = aloft(
        "build",
        "--project",
        str(tiny),
        "--target",
        "lambda",
        "--platform",
        "linux/amd64,linux/arm64",
        cache=tmp_path,
    )
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "single-architecture" in line and "pass one --platform" in line


def test_unknown_target_in_config_is_refused_naming_the_field(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "svc"\n\n[tool.aloft]\napp = "svc:app"\n\n'
        '[tool.aloft.image]\ntarget = "zip"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path, environ={})
    assert "[tool.aloft.image] target" in str(caught.value)


def test_a_platform_other_than_the_functions_architecture_is_refused(
    tiny: Path, tmp_path: Path
) -> None:
    result = aloft(
        "build", "--project", str(tiny), "--target", "lambda", "--platform", "linux/arm64",
        cache=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert 'architecture = "x86_64"' in line and "drop --platform" in line
