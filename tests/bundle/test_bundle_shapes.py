"""Every common project shape, generated fresh outside the repository: `aloft lambda package`
and `aloft build` hold the same app files, the zip imports the app with a Python of the Lambda
runtime's version, and local dependencies end up installed; what is not supported is one line.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from bundlekit import LAMBDA_PYTHON, SHAPES, aloft, layer_names, run, sources, zip_names

from aloft.config import load_config
from aloft.exceptions import ConfigError
from aloft.image.base import BaseImage
from aloft.image.build import BuildOptions, build
from aloft.image.cache import Cache
from aloft.image.oci import Platform
from aloft.serverless.package import package

# The module each shape's app lives in, as both artifacts must hold it.
APP_MODULE = {
    "flat": "main.py",
    "src-layout": "myapp/web.py",
    "renamed-distribution": "shop/web.py",
    "namespace-package": "acme/api/web.py",
    "workspace-member": "api/web.py",
    "workspace-root": "main.py",
    "path-dependency": "main.py",
}
# Local projects the lock installs from a folder: in the dependency trees, not the app.
LOCAL = {
    "workspace-member": "shared/__init__.py",
    "workspace-root": "util/__init__.py",
    "path-dependency": "helper/__init__.py",
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_zip_and_image_hold_the_same_app_files_and_the_zip_imports_the_app(
    shape: str, tmp_path: Path, bundle_cache: Cache, amd64_base: BaseImage
) -> None:
    project = SHAPES[shape](tmp_path)
    resolved = load_config(project, environ={})

    zipped = package(resolved, tmp_path / "out")
    assert zipped.python == LAMBDA_PYTHON
    # Imported from the zips by a Python 3.12 with the host's site-packages off the path.
    assert zipped.verified_by == "import"
    assert zipped.layer is not None
    function = sources(zip_names(zipped.function.path))
    layer = zip_names(zipped.layer.path)

    image = build(resolved, BuildOptions(platforms=(Platform("linux", "amd64"),)), bundle_cache)
    (platform,) = image.platforms
    deps_blob, app_blob = (bundle_cache.blob_path(x.digest) for x in platform.image.layers[-2:])
    app = sources(layer_names(app_blob), "app/")

    assert APP_MODULE[shape] in function
    assert function == app == set(zipped.app_files)
    assert not any(name.startswith("src/") for name in function)
    if shape in LOCAL:
        assert f"python/{LOCAL[shape]}" in layer
        assert f"opt/aloft/site-packages/{LOCAL[shape]}" in layer_names(deps_blob)
        assert not any(LOCAL[shape] in name for name in function)


def test_the_zip_serves_a_src_layout_app_under_the_lambda_python(tmp_path: Path) -> None:
    """The zips alone, on Python 3.12 without site-packages, answer an API Gateway event."""
    project = SHAPES["src-layout"](tmp_path)
    out = tmp_path / "out"
    result = aloft("lambda", "package", "--project", str(project), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "entry points checked by import" in result.stdout
    for name in ("function.zip", "layer.zip"):
        run("python3", "-m", "zipfile", "-e", str(out / name), str(tmp_path / name[:-4]))
    from aloft.pythons import find_interpreter

    python = find_interpreter(LAMBDA_PYTHON)
    assert python is not None
    script = (
        "import json, sys\n"
        "from aloft.runtime.aws_lambda.entry import handler\n"
        "event = {'version': '2.0', 'rawPath': '/', 'rawQueryString': '', 'headers': {},\n"
        "  'requestContext': {'http': {'method': 'GET', 'path': '/', 'sourceIp': '127.0.0.1'},\n"
        "  'requestId': 'r1', 'stage': '$default'}, 'isBase64Encoded': False}\n"
        "print(json.dumps(handler(event, None)))\n"
    )
    done = subprocess.run(
        [str(python), "-S", "-c", script],
        env={
            "PYTHONPATH": f"{tmp_path / 'function'}:{tmp_path / 'layer' / 'python'}",
            "ALOFT_APP": "myapp.web:app",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert '"statusCode": 200' in done.stdout and "src" in done.stdout


def test_a_git_dependency_is_one_line_naming_it_and_the_fix(tmp_path: Path) -> None:
    repo = tmp_path / "gitlib"
    (repo / "gitlib").mkdir(parents=True)
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "gitlib"\nversion = "1.0"\n\n[build-system]\n'
        'requires = ["uv_build>=0.8,<1"]\nbuild-backend = "uv_build"\n\n'
        '[tool.uv.build-backend]\nmodule-root = ""\n'
    )
    (repo / "gitlib" / "__init__.py").write_text("")
    for args in (
        ("init", "-q"),
        ("add", "."),
        ("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"),
    ):
        run("git", *args, cwd=repo)
    project = SHAPES["flat"](tmp_path)
    run("uv", "add", "--quiet", f"gitlib @ git+file://{repo}", cwd=project)
    result = aloft("lambda", "package", "--project", str(project), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "git dependency gitlib" in line and "uv add ./path/to/gitlib" in line
    assert not (tmp_path / "o" / "function.zip").exists()


def test_a_project_with_only_requirements_txt_is_told_how_to_get_a_lock(tmp_path: Path) -> None:
    project = tmp_path / "reqs"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "reqs"\n\n[tool.aloft]\napp = "m:app"\n'
    )
    (project / "requirements.txt").write_text("flask==3.0.0\n")
    (project / "m.py").write_text("app = None\n")
    with pytest.raises(ConfigError, match=r"only requirements.txt.*uv add -r requirements.txt"):
        package(load_config(project, environ={}), tmp_path / "out")


def test_a_missing_app_module_is_an_error_and_no_zip_is_written(tmp_path: Path) -> None:
    project = SHAPES["flat"](tmp_path)
    text = (project / "pyproject.toml").read_text().replace('"main:app"', '"mian:app"')
    (project / "pyproject.toml").write_text(text)
    out = tmp_path / "out"
    result = aloft("lambda", "package", "--project", str(project), "--out", str(out))
    assert result.returncode == 2
    # Off a terminal the steps done so far are plain progress lines; the error is one line, last.
    lines = result.stderr.strip().splitlines()
    (line,) = [x for x in lines if x.startswith("aloft: error:")]
    assert line == lines[-1]
    assert "holds no module mian" in line
    assert not out.exists() or not any(out.iterdir())


def test_a_missing_app_object_is_an_error_for_the_image_too(
    tmp_path: Path, bundle_cache: Cache, amd64_base: BaseImage
) -> None:
    project = SHAPES["flat"](tmp_path)
    text = (project / "pyproject.toml").read_text().replace('"main:app"', '"main:application"')
    (project / "pyproject.toml").write_text(text)
    result = aloft(
        "build",
        "--project",
        str(project),
        "--layout",
        str(tmp_path / "oci"),
        cache=bundle_cache.root,
    )
    assert result.returncode == 2
    assert "defines no 'application'" in result.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "oci").exists()
