"""`aloft lambda package`: target wheels, stripped, split into a layer, byte-reproducible."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
import tomllib

from aloft.exceptions import OperationFailed
from aloft.pythons import find_interpreter
from aloft.serverless.package import PackageResult, ZipReport, check_limits
from testkit import ALOFT, EXAMPLES


def package(project: Path, out: Path, *extra: str) -> dict[str, Any]:
    run = subprocess.run(
        [
            *ALOFT,
            "lambda",
            "package",
            "--project",
            str(project),
            "--out",
            str(out),
            "--output",
            "json",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def fastapi_zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return package(EXAMPLES / "fastapi", tmp_path_factory.mktemp("pkg"))


def names(path: str) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def test_dependencies_go_in_a_layer_and_the_app_in_a_small_function_zip(
    fastapi_zips: dict[str, Any],
) -> None:
    function, layer = fastapi_zips["zips"]
    listed = sorted(names(function["path"]))
    # The app's files by the one rule every artifact shares (the image's app layer holds these).
    assert [n for n in listed if not n.endswith(".pyc")] == [
        "shop/__init__.py",
        "shop/jobs.py",
        "shop/main.py",
    ]
    # Bytecode only from an interpreter of the runtime's version (3.12 here), when there is one.
    compiled = [n for n in listed if n.endswith(".pyc")]
    assert all(n.endswith(".cpython-312.pyc") for n in compiled)
    assert bool(compiled) is fastapi_zips["bytecode"] is (find_interpreter("3.12") is not None)
    layer_names = names(layer["path"])
    assert all(n.startswith("python/") for n in layer_names)
    # As source, or as bytecode only when a 3.12 compiled it (bytecode_only, the default).
    runtime_api = "python/aloft/runtime/aws_lambda/runtime_api.py"
    assert runtime_api in layer_names or runtime_api + "c" in layer_names
    assert any(n.startswith("python/fastapi/") for n in layer_names)


def test_wheels_are_for_the_target_not_this_machine(fastapi_zips: dict[str, Any]) -> None:
    layer = names(fastapi_zips["zips"][1]["path"])
    compiled = [n for n in layer if n.endswith(".so")]
    assert compiled and all(
        "cpython-312-x86_64-linux-gnu" in n for n in compiled if "pydantic_core" in n
    )


def test_what_never_runs_on_lambda_is_left_out(fastapi_zips: dict[str, Any]) -> None:
    layer = names(fastapi_zips["zips"][1]["path"])
    # The production servers are extras of aloft-runtime for containers, not for Lambda.
    assert not any(
        n.startswith(("python/gunicorn/", "python/uvicorn/", "python/bin/")) for n in layer
    )
    assert not any("__pycache__" in n and n.endswith(".pyc") and "cpython-311" in n for n in layer)
    assert not any(n.endswith((".pyi", "/RECORD")) or "/tests/" in n for n in layer)


def test_packages_are_byte_reproducible(fastapi_zips: dict[str, Any], tmp_path: Path) -> None:
    again = package(EXAMPLES / "fastapi", tmp_path)
    assert [z["sha256"] for z in again["zips"]] == [z["sha256"] for z in fastapi_zips["zips"]]


def test_arm64_gets_aarch64_wheels(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    source = (
        (EXAMPLES / "flask" / "pyproject.toml")
        .read_text()
        .replace('path = "../../packaging', f'path = "{EXAMPLES.parent}/packaging')
    )
    (project / "pyproject.toml").write_text(
        source + '\n[tool.aloft.lambda]\narchitecture = "arm64"\nlayer = false\n'
    )
    (project / "uv.lock").write_text(
        (EXAMPLES / "flask" / "uv.lock")
        .read_text()
        .replace('editable = "../../packaging', f'editable = "{EXAMPLES.parent}/packaging')
    )
    shutil.copytree(EXAMPLES / "flask" / "catalog", project / "catalog")
    result = package(project, tmp_path / "out")
    assert len(result["zips"]) == 1
    listing = names(result["zips"][0]["path"])
    assert "catalog/__init__.py" in listing and "catalog/app.py" in listing
    compiled = [n for n in listing if n.endswith(".so")]
    assert compiled and all("aarch64" in n for n in compiled)


def test_over_the_size_limits_is_an_error_suggesting_a_container_image(tmp_path: Path) -> None:
    big = ZipReport(tmp_path / "function.zip", 1, 51 * 2**20, 60 * 2**20, "")
    with pytest.raises(
        OperationFailed, match=r"50 MB direct-upload limit.*aloft build --target lambda"
    ):
        check_limits(PackageResult(big, None, "3.12", "x86_64", False))
    wide = ZipReport(tmp_path / "layer.zip", 1, 40 * 2**20, 251 * 2**20, "")
    with pytest.raises(OperationFailed, match="250 MB limit"):
        check_limits(
            PackageResult(ZipReport(tmp_path / "f.zip", 1, 1, 1, ""), wide, "3.12", "x86_64", False)
        )


def test_stripping_never_changes_the_wheels_in_uvs_cache(
    fastapi_zips: dict[str, Any], tmp_path: Path
) -> None:
    """Libraries are stripped in the package; the cached wheel they came from stays intact."""
    lock = tomllib.loads((EXAMPLES / "fastapi" / "uv.lock").read_text())
    version = next(p["version"] for p in lock["package"] if p["name"] == "pydantic-core")
    fresh = tmp_path / "fresh"
    subprocess.run(
        [
            "uv",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(fresh),
            "--python-platform",
            "x86_64-manylinux_2_17",
            "--python-version",
            "3.12",
            "--only-binary",
            ":all:",
            f"pydantic-core=={version}",
        ],
        check=True,
        timeout=240,
    )
    record = next(fresh.glob("pydantic_core-*.dist-info")) / "RECORD"
    checked = 0
    for line in record.read_text().splitlines():
        name, digest, _ = line.rsplit(",", 2)
        if name.endswith(".so") and digest:
            data = (fresh / name).read_bytes()
            actual = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert f"sha256={actual}" == digest, f"{name} differs from its wheel"
            checked += 1
    assert checked >= 1
