"""requires-python honoured by every target, on fresh projects outside the repository: `aloft build`
picks the base whose Python satisfies it (or refuses in one line), the Lambda runtime is the
project's own Python, and `aloft run` refuses an environment outside it.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pythonkit import run_in_image

from aloft import pythons
from aloft.config import load_config
from aloft.serverless.model import build_stack

ALOFT = str(Path(sys.executable).parent / "aloft")

PYPROJECT = """\
[project]
name = "shop"
version = "0.1.0"
requires-python = "{requires}"
dependencies = [{deps}]

[tool.aloft]
app = "shop:app"
"""

APP = """\
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def home(request):
    return PlainTextResponse("hello")

app = Starlette(routes=[Route("/", home)])
"""


def make_project(
    folder: Path,
    requires: str,
    pin: str = "",
    deps: str = '"starlette>=0.37", "pydantic-core>=2"',
    lock: bool = True,
) -> Path:
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(PYPROJECT.format(requires=requires, deps=deps))
    (folder / "shop.py").write_text(APP)
    if pin:
        (folder / ".python-version").write_text(pin + "\n")
    if lock:
        # uv needs an interpreter within requires-python to lock; pyenv's shims hide them from
        # it, and it may not download one here.
        project = pythons.project_python(folder / "pyproject.toml")
        wanted = project.version or project.allowed(["3.13", "3.12", "3.11"])[0]
        interpreter = pythons.find_interpreter(wanted)
        assert interpreter is not None, wanted
        done = subprocess.run(
            ["uv", "lock", "--quiet", "--python", str(interpreter), "--project", str(folder)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        )
        assert done.returncode == 0, done.stderr
    return folder


def aloft(*args: str, cache: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ALOFT_", "VIRTUAL_ENV", "UV_PYTHON"))
    }
    env["ALOFT_CACHE_DIR"] = str(cache)
    return subprocess.run(
        [ALOFT, *args], capture_output=True, text=True, check=False, env=env, timeout=timeout
    )


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("aloft-cache")


# -- aloft build ----------------------------------------------------------------------------------


def test_build_for_requires_python_312_or_newer_makes_a_313_image(
    tmp_path: Path, cache: Path
) -> None:
    root = make_project(tmp_path / "shop", ">=3.12")
    layout = tmp_path / "layout"
    built = aloft(
        "build",
        "--project",
        str(root),
        "--layout",
        str(layout),
        "-o",
        "json",
        cache=cache,
    )
    assert built.returncode == 0, built.stderr
    summary = json.loads(built.stdout)
    assert summary["platforms"][0]["python"].startswith("3.13.")
    # Read by the image itself: its Python, and the locked native wheel built for that Python.
    probe = "import sys, shop, pydantic_core; print(sys.version.split()[0], shop.app is not None)"
    ran = run_in_image(layout, "latest", ["/usr/bin/python3", "-c", probe])
    assert ran.returncode == 0, ran.stderr
    version, loaded = ran.stdout.split()
    assert version.startswith("3.13.")
    assert loaded == "True"


def test_build_refuses_requires_python_312_only_in_one_line_with_exit_2(
    tmp_path: Path, cache: Path
) -> None:
    root = make_project(tmp_path / "shop", "==3.12.*")
    layout = tmp_path / "layout"
    built = aloft("build", "--project", str(root), "--layout", str(layout), cache=cache)
    assert built.returncode == 2, built.stderr
    lines = [line for line in built.stderr.splitlines() if "requires-python" in line]
    assert len(lines) == 1, built.stderr
    assert "no Debian suite ships Python 3.12" in lines[0]
    assert "[tool.aloft.image] base" in lines[0]
    assert "Traceback" not in built.stderr
    assert not layout.exists()


def test_build_refuses_a_python_version_file_outside_requires_python(
    tmp_path: Path, cache: Path
) -> None:
    root = make_project(tmp_path / "shop", ">=3.12", pin="3.11", lock=False)
    built = aloft("build", "--project", str(root), "--layout", str(tmp_path / "l"), cache=cache)
    assert built.returncode == 2
    assert f"{root / '.python-version'}: Python 3.11 is outside requires-python" in built.stderr


# -- Lambda ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["3.11", "3.12", "3.13"])
def test_lambda_runtime_is_the_projects_python(tmp_path: Path, version: str) -> None:
    root = make_project(tmp_path / "shop", ">=3.10", pin=version, lock=False)
    stack = build_stack(load_config(root))
    assert (stack.runtime, stack.python) == (f"python{version}", version)
    deprecated = any("deprecated python3.11" in w for w in stack.warnings)
    lambda_311 = next(r for r in pythons.lambda_runtimes() if r.version == "3.11")
    assert deprecated is (version == "3.11" and lambda_311.deprecated <= datetime.date.today())


def test_lambda_explicit_python_contradicting_requires_python_is_exit_2(tmp_path: Path) -> None:
    root = make_project(tmp_path / "shop", ">=3.12", lock=False)
    with (root / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.aloft.lambda]\npython = "3.11"\n')
    done = aloft("lambda", "template", "--project", str(root), cache=tmp_path / "cache")
    assert done.returncode == 2
    assert "[tool.aloft.lambda] python = '3.11' contradicts requires-python = '>=3.12'" in (
        done.stderr
    )


@pytest.mark.parametrize("version", ["3.11", "3.13"])
def test_lambda_package_compiles_bytecode_only_with_that_python(
    tmp_path: Path, version: str
) -> None:
    root = make_project(tmp_path / "shop", ">=3.10", pin=version, deps='"starlette>=0.37"')
    done = aloft("lambda", "package", "--project", str(root), "-o", "json", cache=tmp_path / "c")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["python"], result["bytecode"]) == (version, True)
    tag = "cpython-" + version.replace(".", "")
    function = next(z["path"] for z in result["zips"] if z["path"].endswith("function.zip"))
    with zipfile.ZipFile(function) as archive:
        compiled = [n for n in archive.namelist() if n.endswith(".pyc")]
        magic = archive.read(f"__pycache__/shop.{tag}.pyc")[:4]
    assert compiled and all(tag in n for n in compiled), compiled
    interpreter = pythons.find_interpreter(version)
    assert interpreter is not None
    script = "import importlib.util, sys; sys.stdout.buffer.write(importlib.util.MAGIC_NUMBER)"
    expected = subprocess.run(
        [str(interpreter), "-c", script], capture_output=True, check=True
    ).stdout
    assert magic == expected


# -- aloft run ------------------------------------------------------------------------------------


def test_run_refuses_an_environment_python_outside_requires_python(tmp_path: Path) -> None:
    root = make_project(tmp_path / "shop", ">=3.12", lock=False)
    old = pythons.find_interpreter("3.11")
    assert old is not None
    done = aloft("run", "--project", str(root), "--python", str(old), cache=tmp_path / "c")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "is Python 3.11." in lines[0]
    assert "outside requires-python = '>=3.12'" in lines[0]


def test_run_syncs_the_apps_environment_with_the_projects_python(tmp_path: Path) -> None:
    from aloft.local.environment import app_python

    root = make_project(tmp_path / "shop", ">=3.10", pin="3.13", deps='"starlette>=0.37"')
    python = app_python(root)
    assert python == root / ".venv" / "bin" / "python"
    assert pythons.interpreter_version(str(python)).startswith("3.13.")


def test_lambda_python_accepts_the_runtime_identifier_and_refuses_unknown_runtimes(
    tmp_path: Path,
) -> None:
    from aloft.exceptions import ConfigError

    root = make_project(tmp_path / "shop", ">=3.10", lock=False)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text + '\n[tool.aloft.lambda]\npython = "python3.13"\n')
    assert build_stack(load_config(root)).runtime == "python3.13"
    pyproject.write_text(text + '\n[tool.aloft.lambda]\npython = "3.8"\n')
    with pytest.raises(ConfigError, match=r"not a Lambda Python runtime; use one of 3\.14"):
        load_config(root)
