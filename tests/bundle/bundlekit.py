"""Project shapes users have, generated fresh outside the repository (with `uv init` where that
is how users start), each locked with uv and depending on aloft's runtime by path."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUNTIME = REPO / "packaging" / "aloft-runtime"
ALOFT = str(Path(sys.executable).parent / "aloft")
LAMBDA_PYTHON = "3.12"

# A WSGI app with no framework: the shapes differ in layout, not in dependencies.
WSGI_APP = """\
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [{body}]
"""


def run(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, check=False, timeout=240
    )
    assert result.returncode == 0, f"{args}: {result.stderr}"
    return result.stdout


def aloft(
    *args: str, cwd: Path | None = None, cache: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
    if cache is not None:
        env["ALOFT_CACHE_DIR"] = str(cache)
    return subprocess.run(
        [ALOFT, *args], cwd=cwd, capture_output=True, text=True, check=False, env=env, timeout=600
    )


def _aloft_table(app: str, extra: str = "") -> str:
    return (
        f'\n[tool.aloft]\napp = "{app}"\n\n[tool.aloft.lambda]\npython = "{LAMBDA_PYTHON}"\n{extra}'
    )


def _runtime_source() -> str:
    return f'\n[tool.uv.sources]\naloft-runtime = {{ path = "{RUNTIME}" }}\n'


def _plain_pyproject(name: str, app: str, deps: str = "", sources: str = "") -> str:
    return (
        f'[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        f'dependencies = ["aloft-runtime[wsgi]"{deps}]\n'
        + _runtime_source()
        + sources
        + _aloft_table(app)
    )


def lock(project: Path) -> None:
    run("uv", "lock", "--quiet", cwd=project)


def flat(folder: Path) -> Path:
    """One module at the top, no build system (`uv init --app` style)."""
    project = folder / "flat"
    project.mkdir()
    (project / "pyproject.toml").write_text(_plain_pyproject("flat", "main:app"))
    (project / "main.py").write_text(WSGI_APP.format(body='b"flat"'))
    lock(project)
    return project


def src_layout(folder: Path) -> Path:
    """`uv init --package myapp`: src/myapp with a build backend."""
    run(
        "uv",
        "init",
        "--package",
        "--vcs",
        "none",
        "--no-pin-python",
        "--quiet",
        "myapp",
        cwd=folder,
    )
    project = folder / "myapp"
    (project / "src" / "myapp" / "web.py").write_text(WSGI_APP.format(body='b"src"'))
    with (project / "pyproject.toml").open("a") as fh:
        fh.write(_runtime_source() + _aloft_table("myapp.web:app"))
    run("uv", "add", "--quiet", "--frozen", "aloft-runtime[wsgi]", cwd=project)
    lock(project)
    return project


def renamed(folder: Path) -> Path:
    """Distribution `my-service`, import package `shop`."""
    project = folder / "my-service"
    (project / "shop").mkdir(parents=True)
    (project / "pyproject.toml").write_text(_plain_pyproject("my-service", "shop.web:app"))
    (project / "shop" / "__init__.py").write_text("")
    (project / "shop" / "web.py").write_text(WSGI_APP.format(body='b"renamed"'))
    (project / "shop" / "templates").mkdir()
    (project / "shop" / "templates" / "index.html").write_text("<h1>shop</h1>\n")
    lock(project)
    return project


def namespace(folder: Path) -> Path:
    """A namespace package without any `__init__.py`, under src/."""
    project = folder / "acme-api"
    package = project / "src" / "acme" / "api"
    package.mkdir(parents=True)
    (project / "pyproject.toml").write_text(_plain_pyproject("acme-api", "acme.api.web:app"))
    (package / "web.py").write_text(WSGI_APP.format(body='b"namespace"'))
    lock(project)
    return project


def workspace(folder: Path) -> Path:
    """apps/api (src layout, uv_build) in a uv workspace, depending on the sibling libs/shared."""
    root = folder / "mono"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "mono"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
        'dependencies = []\n\n[tool.uv.workspace]\nmembers = ["apps/*", "libs/*"]\n'
    )
    (root / "apps").mkdir()
    (root / "libs").mkdir()
    run(
        "uv",
        "init",
        "--lib",
        "--vcs",
        "none",
        "--no-pin-python",
        "--quiet",
        "shared",
        cwd=root / "libs",
    )
    (root / "libs" / "shared" / "src" / "shared" / "__init__.py").write_text(
        'def greeting() -> bytes:\n    return b"from the sibling"\n'
    )
    run(
        "uv",
        "init",
        "--package",
        "--vcs",
        "none",
        "--no-pin-python",
        "--quiet",
        "api",
        cwd=root / "apps",
    )
    api = root / "apps" / "api"
    (api / "src" / "api" / "web.py").write_text(
        "from shared import greeting\n\n\n"
        "def app(environ, start_response):\n"
        '    start_response("200 OK", [("Content-Type", "text/plain")])\n'
        "    return [greeting()]\n"
    )
    with (api / "pyproject.toml").open("a") as fh:
        fh.write(_runtime_source() + _aloft_table("api.web:app"))
    run("uv", "add", "--quiet", "--frozen", "shared", "aloft-runtime[wsgi]", cwd=api)
    lock(root)
    return api


def workspace_root(folder: Path) -> Path:
    """The app is the workspace root; its library member lives in a folder below it."""
    root = folder / "site"
    (root / "libs").mkdir(parents=True)
    run(
        "uv",
        "init",
        "--lib",
        "--vcs",
        "none",
        "--no-pin-python",
        "--quiet",
        "util",
        cwd=root / "libs",
    )
    (root / "libs" / "util" / "src" / "util" / "__init__.py").write_text('WORD = b"util"\n')
    (root / "pyproject.toml").write_text(
        _plain_pyproject("site", "main:app", ', "util"', "util = { workspace = true }\n")
        + '\n[tool.uv.workspace]\nmembers = ["libs/*"]\n'
    )
    (root / "main.py").write_text(
        "from util import WORD\n\n\ndef app(environ, start_response):\n"
        '    start_response("200 OK", [])\n    return [WORD]\n'
    )
    lock(root)
    return root


def path_dependency(folder: Path) -> Path:
    """A path dependency outside the project (`uv add ../helper`)."""
    helper = folder / "helper"
    (helper / "helper").mkdir(parents=True)
    (helper / "pyproject.toml").write_text(
        '[project]\nname = "helper"\nversion = "1.0"\nrequires-python = ">=3.11"\n\n'
        '[build-system]\nrequires = ["uv_build>=0.8,<1"]\nbuild-backend = "uv_build"\n\n'
        '[tool.uv.build-backend]\nmodule-root = ""\n'
    )
    (helper / "helper" / "__init__.py").write_text('WORD = b"helped"\n')
    project = folder / "uses-helper"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        _plain_pyproject(
            "uses-helper", "main:app", ', "helper"', 'helper = { path = "../helper" }\n'
        )
    )
    (project / "main.py").write_text(
        "from helper import WORD\n\n\ndef app(environ, start_response):\n"
        '    start_response("200 OK", [])\n    return [WORD]\n'
    )
    lock(project)
    return project


SHAPES: dict[str, Callable[[Path], Path]] = {
    "flat": flat,
    "src-layout": src_layout,
    "renamed-distribution": renamed,
    "namespace-package": namespace,
    "workspace-member": workspace,
    "workspace-root": workspace_root,
    "path-dependency": path_dependency,
}


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def layer_names(blob: Path) -> list[str]:
    with tarfile.open(blob, "r:gz") as tar:
        return [m.name for m in tar.getmembers() if m.isfile()]


def sources(names: list[str], prefix: str = "") -> set[str]:
    """App files as the artifact holds them, minus compiled bytecode (that differs by Python)."""
    return {
        n[len(prefix) :]
        for n in names
        if n.startswith(prefix) and "__pycache__/" not in n and not n.endswith(".pyc")
    }


def lock_project(folder: Path, pyproject: str, files: dict[str, str]) -> Path:
    """A new project in `folder`: `pyproject` (its `{runtime}` is this checkout's aloft-runtime)
    and `files`, locked by uv as a user's project is."""
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(pyproject).replace("{runtime}", str(RUNTIME))
    )
    subprocess.run(["uv", "lock", "--quiet", "--project", str(folder)], check=True, timeout=300)
    return folder
