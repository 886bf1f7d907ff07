"""Every project shape through the pipeline, with aloft installed as the README says:
init -> doctor -> run + request -> build + runc + request -> k8s render + check ->
lambda package + serve + request -> dockerfile.

Each (shape, step) is its own test, so a failure names both. The image step (build, unpack, run
in runc) is the expensive one and runs on IMAGE_SHAPES; every other step runs on every shape.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib
import yaml
from acceptkit import (
    Background,
    Installed,
    Project,
    background,
    free_port,
    get,
    runc_container,
    sh,
)
from shapes import IMAGE_SHAPES, SHAPES

from testkit import unpack_image

ALL = list(SHAPES)
# A digest in the right form: render needs an image by digest, nothing pulls it here.
IMAGE = "127.0.0.1:5000/accept@sha256:" + "0" * 64
# Local (path) dependencies may be refused, in one line naming the dependency and the fix
# (issue 12 §3): by every artifact step for the path dependency, and by the Dockerfile (whose
# build context is the project folder) for the workspace member's sibling library.
REFUSABLE: dict[tuple[str, str], tuple[str, ...]] = {
    ("path-dependency", "build"): ("shared-lib", "libs/shared"),
    ("path-dependency", "lambda"): ("shared-lib", "libs/shared"),
    ("path-dependency", "dockerfile"): ("shared-lib", "libs/shared"),
    ("workspace", "dockerfile"): ("greeting",),
}


@pytest.fixture(scope="module")
def project(request: pytest.FixtureRequest, installed: Installed, projects: Path) -> Project:
    shape: str = request.param
    return SHAPES[shape](projects / shape, installed)


def aloft(project: Project, args: str) -> str:
    """The command line of one step: the installed tool, or `uv run aloft` (dev dependency)."""
    return f"{project.aloft} {args}"


def assert_serves(project: Project, base: str, server: Background, path: str = "/") -> None:
    """GET / answers with the shape's marker (and the extra paths with theirs); on failure the
    message carries the server's output."""
    status, body = server.wait_http(base + path)
    squeeze = body.replace('"', "").replace(" ", "")
    assert status == 200 and project.marker.replace('"', "").replace(" ", "") in squeeze, (
        f"{project.shape}: GET {path} -> {status} {body[:500]!r}, expected the marker "
        f"{project.marker!r}; {server.description} said:\n{server.output()}"
    )
    for extra, expected in project.extra_requests:
        status, body = get(base + extra)
        assert status == 200 and expected.replace(" ", "") in body.replace(" ", ""), (
            f"{project.shape}: GET {extra} -> {status} {body[:300]!r}; "
            f"{server.description} said:\n{server.output()}"
        )


def refused_in_one_line(
    project: Project, step: str, done: subprocess.CompletedProcess[str]
) -> bool:
    """True when the step is a permitted one-line refusal naming the dependency."""
    names = REFUSABLE.get((project.shape, step))
    if names is None or done.returncode == 0:
        return False
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and any(n in lines[0] for n in names), (
        f"{project.shape}: a refusal must be one line naming the dependency, exit 2; got "
        f"exit {done.returncode}: {done.stderr[-2000:]}"
    )
    project.notes.append(lines[0])
    return True


def module_files(spec: str) -> set[str]:
    module = spec.partition(":")[0].replace(".", "/")
    return {f"{module}.py", f"{module}/__init__.py", f"{module}.pyc", f"{module}/__init__.pyc"}


@pytest.mark.parametrize("project", ALL, indirect=True)
def test_init_finds_the_app_and_adds_the_runtime(project: Project) -> None:
    assert "detected: " in project.init_output and project.app in project.init_output, (
        project.init_output
    )
    document = tomllib.loads((project.root / "pyproject.toml").read_text())
    assert document["tool"]["aloft"]["app"] == project.app
    dependencies = document["project"]["dependencies"]
    assert any(re.match(rf"aloft-runtime\[[^\]]*{project.interface}", d) for d in dependencies), (
        dependencies
    )
    assert "next:" in project.init_output and "aloft run" in project.init_output
    # The runtime wheel alone imports as aloft.runtime; the tool is not in the app's environment.
    probe = (
        "import importlib.util, aloft.runtime; "
        "print(importlib.util.find_spec('aloft.cli') is not None)"
    )
    done = subprocess.run(
        [str(project.environment / "bin" / "python"), "-c", probe],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    tool_in_env = project.shape == "dev-dependency"
    assert done.stdout.strip() == str(tool_in_env), done.stdout


@pytest.mark.parametrize("project", ALL, indirect=True)
def test_doctor_reads_the_project(project: Project, installed: Installed) -> None:
    done = sh(
        aloft(project, "doctor -o json"), project.root, installed.env, check=False, timeout=180
    )
    assert done.returncode in (0, 1), f"exit {done.returncode}: {done.stderr[-2000:]}"
    report = json.loads(done.stdout)
    assert isinstance(report, dict), report


@pytest.mark.parametrize("project", ALL, indirect=True)
def test_run_serves_the_app(project: Project, installed: Installed, tmp_path: Path) -> None:
    port = free_port()
    env = {**installed.env, "ALOFT_DRAIN_DELAY": "0.2", "ALOFT_WORKERS": "1"}
    command = aloft(project, f"run --host 127.0.0.1 --port {port}")
    base = f"http://127.0.0.1:{port}"
    with background(command, project.root, env, tmp_path / "run.log") as server:
        health = server.wait_http(base + "/healthz")
        assert health[0] == 200, health
        assert_serves(project, base, server)
        assert server.stop() == 0, server.output()
    if project.shape == "dev-dependency":
        venv = project.environment
        assert (venv / "bin" / "aloft").exists(), "aloft run uninstalled aloft (a dev dependency)"
        shown = sh(
            f"uv pip show --python {venv}/bin/python aloft-cli",
            project.root,
            installed.env,
            check=False,
        )
        assert shown.returncode == 0, f"aloft-cli is gone from the app's env: {shown.stderr}"


@pytest.mark.timeout(900)
@pytest.mark.parametrize("project", IMAGE_SHAPES, indirect=True)
def test_image_runs_in_runc(project: Project, installed: Installed, tmp_path: Path) -> None:
    layout = tmp_path / "oci"
    done = sh(
        aloft(project, f"build --layout {layout} --tag accept"),
        project.root,
        installed.env,
        check=False,
        timeout=800,
    )
    if refused_in_one_line(project, "build", done):
        return
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-3000:]}"
    bundle = tmp_path / "bundle"
    unpack_image(f"{layout}:accept", bundle)
    port = free_port()
    env = {"ALOFT_PORT": str(port), "ALOFT_WORKERS": "1", "ALOFT_DRAIN_DELAY": "0.2"}
    base = f"http://127.0.0.1:{port}"
    with runc_container(bundle, env, tmp_path / "runc.log") as container:
        health = container.wait_http(base + "/healthz", timeout=60)
        assert health[0] == 200, health
        assert_serves(project, base, container)


@pytest.mark.parametrize("project", ALL, indirect=True)
def test_k8s_render_and_check(project: Project, installed: Installed, tmp_path: Path) -> None:
    out = tmp_path / "manifests"
    rendered = sh(
        aloft(project, f"k8s render --image {IMAGE} --out {out}"),
        project.root,
        installed.env,
        check=False,
        timeout=180,
    )
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    documents = [
        d for f in sorted(out.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d
    ]
    kinds = {d["kind"] for d in documents}
    assert {"Deployment", "Service", "ConfigMap"} <= kinds, kinds
    assert project.app in json.dumps(documents), "the manifests do not name the app"
    checked = sh(
        aloft(project, f"k8s check {out}"),
        project.root,
        installed.env,
        check=False,
        timeout=180,
    )
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]


@pytest.mark.parametrize("project", ALL, indirect=True)
def test_lambda_package_and_serve(project: Project, installed: Installed, tmp_path: Path) -> None:
    out = tmp_path / "zips"
    packaged = sh(
        aloft(project, f"lambda package --out {out}"),
        project.root,
        installed.env,
        check=False,
        timeout=600,
    )
    if refused_in_one_line(project, "lambda", packaged):
        return
    assert packaged.returncode == 0, packaged.stderr[-3000:]
    names: set[str] = set()
    for archive in out.glob("*.zip"):
        with zipfile.ZipFile(archive) as zipped:
            names.update(zipped.namelist())
    assert names & module_files(project.app), (
        f"no zip in {out} holds the app's module {project.app}: "
        f"{sorted(n for n in names if '/' not in n.rstrip('/'))[:40]}"
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = aloft(project, f"lambda serve --port {port} --concurrency 1")
    with background(command, project.root, installed.env, tmp_path / "serve.log") as server:
        assert_serves(project, base, server)


@pytest.mark.parametrize("project", ALL, indirect=True)
def test_dockerfile_is_buildable_from_the_project(project: Project, installed: Installed) -> None:
    target = project.root / "Dockerfile"
    done = sh(
        aloft(project, "dockerfile --file Dockerfile"),
        project.root,
        installed.env,
        check=False,
        timeout=180,
    )
    if refused_in_one_line(project, "dockerfile", done):
        return
    assert done.returncode == 0, done.stderr[-2000:]
    text = target.read_text()
    hadolint = Path(sys.executable).parent / "hadolint"
    linted = subprocess.run(
        [str(hadolint), "--no-color", str(target)], capture_output=True, text=True, check=False
    )
    assert linted.returncode == 0, linted.stdout
    # The build context is the project folder: every COPY source must be in it.
    for line in text.splitlines():
        words = shlex.split(line) if line.startswith("COPY ") else []
        if not words or any(w.startswith("--from") for w in words):
            continue
        sources = [w.removeprefix("./") for w in words[1:-1] if not w.startswith("--")]
        for source in sources:
            assert source in ("", ".") or list(project.root.glob(source)), (
                f"{project.shape}: the Dockerfile copies {source!r}, which the project lacks"
            )
    # aloft-runtime is not on the package index yet: the Dockerfile must not fetch it from there.
    installs = [line for line in text.splitlines() if re.search(r"aloft[-_]runtime[\[=]", line)]
    assert not installs, f"{project.shape}: installs aloft-runtime from an index: {installs}"
