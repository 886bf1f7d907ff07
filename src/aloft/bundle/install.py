"""Install an artifact's trees: locked dependencies for the target, aloft's runtime, the app.

Wheels only, for the target's platform and Python (never the build machine's). Local projects
(workspace siblings, path dependencies) are built into wheels with `uv build`; a wheel tied to
this machine's platform is refused, since it would not run on the target.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from aloft.bundle.files import Selection
from aloft.bundle.lock import Locked, uv
from aloft.bundle.target import Target
from aloft.exceptions import OperationFailed

# Files that never run: type stubs, C sources, build metadata, tests and caches.
_DROP_SUFFIXES = (".pyi", ".pyc", ".pyo", ".c", ".h", ".pyx", ".pxd", ".cpp")
_DROP_NAMES = {"py.typed", "RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
_DROP_DIRS = {"__pycache__", "tests", "test", "testing_data", "benchmarks", "docs"}


def install_dependencies(locked: Locked, target: Target, dest: Path, extra: list[str]) -> None:
    """The locked packages (plus `extra` names) and local projects into `dest` (a --target)."""
    dest.mkdir(parents=True, exist_ok=True)
    requirements = [*locked.requirements, *extra]
    if requirements:
        _pip_install(requirements, target, dest, deps=bool(extra))
    if locked.local:
        with tempfile.TemporaryDirectory(prefix="aloft-wheels-") as folder:
            wheels = [_build_wheel(p.path, p.name, Path(folder)) for p in locked.local]
            _pip_install([str(w) for w in wheels], target, dest, deps=False)
    shutil.rmtree(dest / "bin", ignore_errors=True)
    for leftover in dest.glob(".lock"):
        leftover.unlink()


def _pip_install(requirements: list[str], target: Target, dest: Path, *, deps: bool) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(requirements) + "\n")
    try:
        run = subprocess.run(
            [
                uv(),
                "pip",
                "install",
                "--quiet",
                "--no-config",
                # Copies, not hard links into uv's cache: trimming a linked file would change
                # the cached wheel for every later install on this machine.
                "--link-mode",
                "copy",
                *([] if deps else ["--no-deps"]),
                "--target",
                str(dest),
                "--python-platform",
                target.uv_platform,
                "--python-version",
                target.python,
                "--only-binary",
                ":all:",
                "--no-compile",
                "-r",
                fh.name,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        os.unlink(fh.name)
    if run.returncode != 0:
        raise OperationFailed(_install_failure(run.stderr, target))


def _install_failure(stderr: str, target: Target) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    detail = next(
        (line for line in lines if "wheel" in line or "because" in line.lower()),
        lines[-1] if lines else "",
    )
    detail = re.sub(r"^[\u00d7x]\s*", "", detail).removeprefix("╰─▶ ").strip()
    detail = detail.removeprefix("cause: ").strip()
    where = f"{target.label} ({target.uv_platform}, Python {target.python})"
    return (
        f"installing the locked dependencies for {where} failed: {detail}; pick versions that "
        f"publish {target.label} wheels (uv lock --upgrade-package NAME) or drop {target.label}"
    )


def _build_wheel(path: Path, name: str, out: Path) -> Path:
    run = subprocess.run(
        [uv(), "build", "--wheel", "--quiet", "--out-dir", str(out / name), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    wheels = sorted((out / name).glob("*.whl"))
    if run.returncode != 0 or not wheels:
        detail = (run.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise OperationFailed(
            f"building local dependency {name} ({path}) failed: {detail}; make it buildable "
            "with `uv build` there"
        )
    wheel = wheels[0]
    if not wheel.name.endswith("-none-any.whl"):
        raise OperationFailed(
            f"local dependency {name} ({path}) builds a platform wheel ({wheel.name}) for this "
            "machine, not the target; publish wheels for the target and depend on those"
        )
    return wheel


def runtime_version() -> str:
    try:
        return importlib.metadata.version("aloft-runtime")
    except importlib.metadata.PackageNotFoundError:
        return "0"


def runtime_source() -> tuple[Path, str]:
    """The installed runtime package's folder and a digest of its modules."""
    import aloft.runtime

    folder = Path(aloft.runtime.__file__).parent
    sha = hashlib.sha256(runtime_version().encode())
    for path in sorted(folder.rglob("*.py")):
        sha.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return folder, sha.hexdigest()


def copy_runtime(dest: Path) -> None:
    """aloft's runtime as installed with this tooling (standard-library Python), with a
    dist-info so importlib.metadata and the SBOM see it; the one copy every artifact gets."""
    folder, _ = runtime_source()
    target = dest / "aloft" / "runtime"
    for path in sorted(folder.rglob("*.py")):
        out = target / path.relative_to(folder)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
    version = runtime_version()
    info = dest / f"aloft_runtime-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: aloft-runtime\nVersion: {version}\nLicense: Apache-2.0\n"
    )


def runtime_wheel(folder: Path) -> Path:
    """The same runtime files as a pure-Python wheel in `folder`, byte-reproducible, for builds
    that install it themselves (a Dockerfile's build stage): it is on no package index."""
    import base64
    import zipfile

    version = runtime_version()
    name = f"aloft_runtime-{version}-py3-none-any.whl"
    info = f"aloft_runtime-{version}.dist-info"
    with tempfile.TemporaryDirectory(prefix="aloft-wheel-") as scratch:
        tree = Path(scratch)
        copy_runtime(tree)
        (tree / info / "WHEEL").write_text(
            "Wheel-Version: 1.0\nGenerator: aloft\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        files = sorted(p for p in tree.rglob("*") if p.is_file())
        record = []
        for path in files:
            data = path.read_bytes()
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(
                f"{path.relative_to(tree).as_posix()},sha256={digest.decode()},{len(data)}"
            )
        record.append(f"{info}/RECORD,,")
        (tree / info / "RECORD").write_text("\n".join(record) + "\n")
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / (name + ".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in tree.rglob("*") if p.is_file()):
                entry = zipfile.ZipInfo(path.relative_to(tree).as_posix(), (1980, 1, 1, 0, 0, 0))
                entry.external_attr = 0o644 << 16
                archive.writestr(entry, path.read_bytes(), zipfile.ZIP_DEFLATED)
        os.replace(partial, folder / name)
    return folder / name


def copy_app(selection: Selection, dest: Path) -> None:
    """The selected files, at their artifact paths; links are copied as the files they name."""
    for item in selection.files:
        out = dest / item.dest
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.source, out)
        os.chmod(out, 0o755 if item.executable else 0o644)


def trim(tree: Path, target: Target) -> None:
    """Drop what never runs from installed dependencies; strip native libraries' symbols."""
    for dirpath, dirnames, filenames in os.walk(tree, topdown=True):
        here = Path(dirpath)
        for name in list(dirnames):
            # A package's tests are dropped, never a top-level package that happens to be one.
            # A dotted folder cannot be imported: it holds tool files (e.g. fastapi/.agents).
            if (name in _DROP_DIRS or name.startswith(".")) and here != tree:
                shutil.rmtree(here / name)
                dirnames.remove(name)
        for name in filenames:
            if name.endswith(_DROP_SUFFIXES) or name in _DROP_NAMES:
                (here / name).unlink()
            elif name == "METADATA" and here.name.endswith(".dist-info"):
                _trim_metadata(here / name)
    strip = shutil.which("strip")
    if strip and target.runs_here():
        libraries = [str(p) for p in tree.rglob("*.so*") if p.is_file()]
        if libraries:
            subprocess.run(
                [strip, "--strip-unneeded", *libraries], capture_output=True, check=False
            )


def _trim_metadata(path: Path) -> None:
    """Keep METADATA's headers, drop its body (the long description: a README or changelog).

    importlib.metadata reads the headers; the body is only ever shown by package indexes.
    pydantic's alone is a 140 kB changelog.
    """
    data = path.read_bytes()
    end = data.find(b"\n\n")
    if end != -1 and end + 2 < len(data):
        path.write_bytes(data[: end + 1])
