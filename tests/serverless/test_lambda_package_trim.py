"""`aloft lambda package` trimming: bytecode-only dependencies, lean .pyc, what never runs left out.

The project targets this interpreter's Python so the bytecode is really compiled here (the
examples target 3.12, which this machine may not have, and then ship sources only).
"""

from __future__ import annotations

import hashlib
import marshal
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import CodeType
from typing import Any

import httpx
import pytest
import tomllib

from aloft.config import load_config
from aloft.serverless.package import PackageResult, package
from lambdakit import emulated
from testkit import EXAMPLES

PY = f"{sys.version_info.major}.{sys.version_info.minor}"
TAG = f"cpython-{sys.version_info.major}{sys.version_info.minor}"
# -S keeps this machine's site-packages (which hold every dependency) off sys.path: a module
# missing from the zips fails, as it would on Lambda.
BOOTSTRAP = [sys.executable, "-S", "-m", "aloft.runtime.aws_lambda"]


def fastapi_project(folder: Path, settings: str = "") -> Path:
    project = folder / "shop-fastapi"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        (EXAMPLES / "fastapi" / "pyproject.toml")
        .read_text()
        .replace('path = "../../packaging', f'path = "{EXAMPLES.parent}/packaging')
        + f'\n[tool.aloft.lambda]\npython = "{PY}"\n{settings}'
    )
    (project / "uv.lock").write_text(
        (EXAMPLES / "fastapi" / "uv.lock")
        .read_text()
        .replace('editable = "../../packaging', f'editable = "{EXAMPLES.parent}/packaging')
    )
    shutil.copytree(
        EXAMPLES / "fastapi" / "shop",
        project / "shop",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return project


def build(project: Path, out: Path) -> PackageResult:
    return package(load_config(project, environ={}), out)


def unpack(result: PackageResult, folder: Path) -> tuple[Path, Path]:
    """The function and the layer's python/ folder, as Lambda lays them out."""
    assert result.layer is not None
    with zipfile.ZipFile(result.function.path) as archive:
        archive.extractall(folder / "task")
    with zipfile.ZipFile(result.layer.path) as archive:
        archive.extractall(folder / "opt")
    return folder / "task", folder / "opt" / "python"


def code_of(pyc: bytes) -> CodeType:
    code = marshal.loads(pyc[16:])
    assert isinstance(code, CodeType)
    return code


def all_code(code: CodeType) -> list[CodeType]:
    nested = [c for c in code.co_consts if isinstance(c, CodeType)]
    return [code, *(inner for c in nested for inner in all_code(c))]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[PackageResult, Path, Path]:
    folder = tmp_path_factory.mktemp("trim")
    result = build(fastapi_project(folder), folder / "out")
    assert result.bytecode, f"Python {PY} should compile the bytecode here"
    task, layer = unpack(result, folder / "unpacked")
    return result, task, layer


def test_dependencies_ship_as_bytecode_and_the_app_as_source(
    built: tuple[PackageResult, Path, Path],
) -> None:
    _, task, layer = built
    assert (layer / "fastapi" / "routing.pyc").is_file()
    assert not (layer / "fastapi" / "routing.py").exists()
    assert (task / "shop" / "main.py").is_file()
    assert (task / "shop" / "__pycache__" / f"main.{TAG}.pyc").is_file()


def test_package_inits_keep_their_source_so_lazy_importers_stay_lazy(
    built: tuple[PackageResult, Path, Path],
) -> None:
    """anyio reads its own __init__ source to import lazily; without it, it imports all."""
    _, _, layer = built
    assert (layer / "anyio" / "__init__.py").is_file()
    assert (layer / "anyio" / "__pycache__" / f"__init__.{TAG}.pyc").is_file()
    assert not (layer / "anyio" / "__init__.pyc").exists()
    run = subprocess.run(
        [sys.executable, "-S", "-c", "import anyio, sys; print(sorted(sys.modules))"],
        env={"PYTHONPATH": str(layer), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "'anyio._core._fileio'" not in run.stdout and "'anyio'" in run.stdout


def test_bytecode_names_the_files_as_deployed_not_the_build_folder(
    built: tuple[PackageResult, Path, Path],
) -> None:
    result, task, layer = built
    routing = code_of((layer / "fastapi" / "routing.pyc").read_bytes())
    assert routing.co_filename == "/opt/python/fastapi/routing.py"
    main = code_of((task / "shop" / "__pycache__" / f"main.{TAG}.pyc").read_bytes())
    assert main.co_filename == "/var/task/shop/main.py"
    assert result.layer is not None
    with zipfile.ZipFile(result.layer.path) as archive:
        leaked = [
            n for n in archive.namelist() if n.endswith(".pyc") and b"/tmp/" in archive.read(n)
        ]
    assert leaked == []


def test_bytecode_is_unchecked_hash_so_imports_never_stat_a_source(
    built: tuple[PackageResult, Path, Path],
) -> None:
    _, task, layer = built
    for pyc in (
        layer / "pydantic" / "main.pyc",
        layer / "anyio" / "__pycache__" / f"__init__.{TAG}.pyc",
        task / "shop" / "__pycache__" / f"main.{TAG}.pyc",
    ):
        assert int.from_bytes(pyc.read_bytes()[4:8], "little") == 0b01, pyc  # hash, unchecked


def test_dependency_bytecode_drops_column_tables_but_keeps_line_numbers(
    built: tuple[PackageResult, Path, Path],
) -> None:
    _, task, layer = built
    routing = all_code(code_of((layer / "fastapi" / "routing.pyc").read_bytes()))
    assert any(line is not None for c in routing for _, line, _, _ in c.co_positions())
    assert all(col is None for c in routing for _, _, col, _ in c.co_positions())
    # The app's own tracebacks keep their ^^^ markers.
    main = all_code(code_of((task / "shop" / "__pycache__" / f"main.{TAG}.pyc").read_bytes()))
    assert any(col is not None for c in main for _, _, col, _ in c.co_positions())


def test_what_never_runs_is_left_out(built: tuple[PackageResult, Path, Path]) -> None:
    result, _, _ = built
    assert result.layer is not None
    with zipfile.ZipFile(result.layer.path) as archive:
        listing = archive.namelist()
        metadata = next(n for n in listing if n.startswith("python/pydantic-") and "METADATA" in n)
        text = archive.read(metadata).decode()
    assert not any("/." in n for n in listing), [n for n in listing if "/." in n][:3]
    assert not any(n.endswith((".pyi", "py.typed", "/RECORD")) for n in listing)
    # The headers stay (version, requirements); the long description (a changelog) goes.
    assert "\nVersion: " in text and "Requires-Dist: " in text
    assert len(text) < 8000 and "\n\n" not in text


def test_importlib_metadata_still_answers_for_packages_in_the_zip(
    built: tuple[PackageResult, Path, Path],
) -> None:
    _, _, layer = built
    lock = tomllib.loads((EXAMPLES / "fastapi" / "uv.lock").read_text())
    pydantic = next(p["version"] for p in lock["package"] if p["name"] == "pydantic")
    probe = (
        "import importlib.metadata as m\n"
        "print(m.version('pydantic'))\n"
        "print(any(r.startswith('pydantic-core') for r in m.requires('pydantic')))\n"
        "print(sorted(e.name for e in m.entry_points(group='console_scripts')))\n"
    )
    run = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        env={"PYTHONPATH": str(layer)},
        capture_output=True,
        text=True,
        check=True,
    )
    version, requires, scripts = run.stdout.splitlines()
    assert version == pydantic and requires == "True" and "'fastapi'" in scripts


def test_the_trimmed_zips_serve_the_fastapi_example_through_the_emulator(
    built: tuple[PackageResult, Path, Path], redis_server: Any
) -> None:
    _, task, layer = built
    env = {
        "ALOFT_APP": "shop.main:app",
        "REDIS_URL": redis_server.url(14),
        "PYTHONPATH": f"{task}:{layer}",
        "PYTHONDONTWRITEBYTECODE": "1",  # /var/task and /opt are read-only on Lambda
    }
    with (
        emulated(BOOTSTRAP, cwd=task, env=env, timeout=30) as (_, front, lines),
        httpx.Client(base_url=f"http://127.0.0.1:{front.port}", timeout=30) as client,
    ):
        payload = {"name": "kite", "price_cents": 1200}
        assert client.put("/items/7", json=payload).status_code == 200
        assert client.get("/items/7").json() == payload
        # OpenAPI is generated by introspecting the app through the dependencies' bytecode.
        schema = client.get("/openapi.json").json()
        assert schema["components"]["schemas"]["HTTPValidationError"]["title"]
    assert any("connected to redis" in line for line in lines)


def test_bytecode_only_false_keeps_sources_beside_precompiled_caches(tmp_path: Path) -> None:
    project = fastapi_project(tmp_path, "bytecode_only = false\n")
    result = build(project, tmp_path / "out")
    _, layer = unpack(result, tmp_path / "unpacked")
    assert (layer / "fastapi" / "routing.py").is_file()
    assert (layer / "fastapi" / "__pycache__" / f"routing.{TAG}.pyc").is_file()
    assert not (layer / "fastapi" / "routing.pyc").exists()


def test_bytecode_packages_are_byte_reproducible(
    built: tuple[PackageResult, Path, Path], tmp_path: Path
) -> None:
    first, _, _ = built
    again = build(fastapi_project(tmp_path), tmp_path / "out")
    assert again.bytecode
    for one, two in ((first.function, again.function), (first.layer, again.layer)):
        assert one is not None and two is not None
        assert hashlib.sha256(one.path.read_bytes()).hexdigest() == two.sha256
        assert one.sha256 == two.sha256
