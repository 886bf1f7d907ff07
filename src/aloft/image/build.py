"""`aloft build`: the project's lock file and source become an OCI image, without a daemon.

Layers, bottom to top: the base, the dependencies (the locked packages plus the runtime and the
production server, installed for the target platform and the base's Python version), and the app's
source. Each layer is cached by everything that determines its bytes, so a code-only change
rebuilds only the small app layer.
"""

from __future__ import annotations

import dataclasses
import datetime
import fnmatch
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aloft import pythons
from aloft.config import ResolvedConfig
from aloft.exceptions import ConfigError, OperationFailed
from aloft.image import bytecode, lambda_target, sbom
from aloft.image.base import BaseImage, build_base
from aloft.image.cache import Cache, key_of
from aloft.image.lambda_target import FunctionCommand, Target
from aloft.image.layers import Layer, Tree, tree_from_folder, write_layer
from aloft.image.oci import Image, ImageIndex, Platform, make_image, make_index
from aloft.image.reference import ImageRef

# Bump when what goes into a layer changes, so cached layers are rebuilt.
RECIPE = "1"
SITE_PACKAGES = "/opt/aloft/site-packages"
# The dependency layer's file times: fixed, not the commit time, so a commit that changes only
# code leaves the dependency layer (and its digest) as it was.
DEPENDENCY_MTIME = 0
ASGI_FRAMEWORKS = {"starlette", "fastapi", "quart", "litestar", "sanic", "channels", "aiohttp"}
ASGI_SERVER = ["gunicorn", "uvicorn", "uvicorn-worker"]
WSGI_SERVER = ["gunicorn"]
# Never part of the app layer: environments, caches, VCS data and secrets-by-convention.
SKIP_NAMES = {
    "__pycache__",
    "node_modules",
    ".venv",
    "venv",
    ".git",
    ".hg",
    ".svn",
    "build",
    "dist",
}
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


@dataclasses.dataclass(frozen=True)
class BuildOptions:
    platforms: tuple[Platform, ...]
    base: str = ""
    mtime: int | None = None
    progress: Progress = _quiet
    insecure_registries: tuple[str, ...] = ()
    # container: serves HTTP (`aloft run`); lambda: the Runtime API client, one platform only.
    target: Target = "container"


@dataclasses.dataclass(frozen=True)
class PlatformBuild:
    image: Image
    base: BaseImage
    python_packages: tuple[dict[str, str], ...]
    reused: tuple[str, ...]  # names of layers taken from the cache: dependencies, app

    def summary(self) -> dict[str, Any]:
        config = self.image.config_json().get("config") or {}
        return {
            "platform": str(self.image.platform),
            "entrypoint": config.get("Entrypoint") or [],
            "cmd": config.get("Cmd") or [],
            "digest": self.image.digest,
            "size": self.image.size,
            "base": self.base.reference,
            "python": self.base.python_version,
            "layers": [{"digest": layer.digest, "size": layer.size} for layer in self.image.layers],
            "reused": list(self.reused),
        }

    def sbom(self, name: str, version: str, created: str) -> bytes:
        return sbom.cyclonedx(
            name=name,
            version=version,
            image_digest=self.image.digest,
            created=created,
            python=self.python_packages,
            debian=self.base.packages,
            tool_version=_tool_version(),
        )


@dataclasses.dataclass(frozen=True)
class BuildResult:
    target: Image | ImageIndex
    platforms: tuple[PlatformBuild, ...]
    created: str
    name: str
    version: str
    kind: Target = "container"
    # --target lambda: every function's CMD; the image's own CMD is the first one's.
    functions: tuple[FunctionCommand, ...] = ()

    @property
    def digest(self) -> str:
        return self.target.digest

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "digest": self.digest,
            "target": self.kind,
            "media_type": "index" if isinstance(self.target, ImageIndex) else "manifest",
            "platforms": [p.summary() for p in self.platforms],
        }
        if self.kind == "lambda":
            out["functions"] = [f.as_json() for f in self.functions]
        return out


def build(resolved: ResolvedConfig, options: BuildOptions, cache: Cache) -> BuildResult:
    root = resolved.root
    settings = resolved.config.image
    functions: tuple[FunctionCommand, ...] = ()
    if options.target == "lambda":
        lambda_target.check_platforms(options.platforms, resolved)
        functions = lambda_target.function_commands(resolved)
    mtime = options.mtime if options.mtime is not None else source_date_epoch(root)
    project = pythons.project_python(resolved.pyproject)
    requirements = export_requirements(root)
    server = server_requirements(requirements, resolved.config.serve.interface)
    builds = []
    for platform in options.platforms:
        options.progress(f"{platform}: base")
        base = resolve_base(
            options.base or settings.base,
            platform,
            cache,
            options.insecure_registries,
            settings.python_version,
            project=project,
            progress=options.progress,
        )
        if settings.python_version and settings.python_version != base.python_minor:
            raise ConfigError(
                f"[tool.aloft.image] python_version = {settings.python_version!r} but base "
                f"{base.reference} "
                f"has Python {base.python_version}; remove python_version or pick a matching base"
            )
        options.progress(f"{platform}: dependencies (Python {base.python_minor})")
        deps, packages, deps_reused = dependency_layer(
            requirements, server, platform, base, cache, DEPENDENCY_MTIME
        )
        options.progress(f"{platform}: app")
        app, app_reused = app_layer(
            root, settings.workdir, settings.exclude, base.python_minor, cache, mtime
        )
        config = image_config(resolved, base, mtime)
        if functions:
            config = lambda_target.lambda_config(
                config, base, settings.workdir, functions[0].command
            )
        annotations = _annotations(resolved, base, mtime)
        image = make_image(platform, [*base.image.layers, deps, app], config, annotations)
        reused = tuple(n for n, r in (("dependencies", deps_reused), ("app", app_reused)) if r)
        builds.append(PlatformBuild(image, base, tuple(packages), reused))
    target: Image | ImageIndex
    if len(builds) == 1:
        target = builds[0].image
    else:
        target = make_index([b.image for b in builds], _annotations(resolved, None, mtime))
    version = _project_version(root)
    return BuildResult(
        target,
        tuple(builds),
        _timestamp(mtime),
        resolved.project_name,
        version,
        options.target,
        functions,
    )


def default_platforms(resolved: ResolvedConfig, target: Target) -> list[str]:
    """A container image's platforms come from [tool.aloft.image]; a Lambda image's from
    [tool.aloft.lambda] architecture, so the image matches the function that runs it."""
    if target == "lambda":
        return lambda_target.default_platforms(resolved)
    return list(resolved.config.image.platforms)


def source_date_epoch(root: Path) -> int:
    """SOURCE_DATE_EPOCH, else the last commit's time, else 0: never the clock."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    if value.isdigit():
        return int(value)
    if shutil.which("git"):
        result = subprocess.run(
            ["git", "-C", str(root), "log", "-1", "--format=%ct"],
            check=False,
            capture_output=True,
            text=True,
        )
        if result.returncode == 0 and result.stdout.strip().isdigit():
            return int(result.stdout.strip())
    return 0


def _timestamp(mtime: int) -> str:
    return datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def _tool_version() -> str:
    try:
        return importlib.metadata.version("aloft")
    except importlib.metadata.PackageNotFoundError:
        return "0"


def _project_version(root: Path) -> str:
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    with (root / "pyproject.toml").open("rb") as fh:
        return str(tomllib.load(fh).get("project", {}).get("version", "0"))


# -- inputs ----------------------------------------------------------------------------------------


def _uv() -> str:
    found = shutil.which("uv")
    if not found:
        raise OperationFailed("uv not found on PATH: aloft build reads uv.lock with it; install uv")
    return found


def export_requirements(root: Path) -> str:
    """The locked, pinned dependencies (no dev groups, not the project itself)."""
    lock = root / "uv.lock"
    if not lock.is_file():
        raise ConfigError(
            f"{lock}: missing; run `uv lock` in {root} so the image gets pinned dependencies"
        )
    # uv needs an interpreter within requires-python to check the lock; hand it the one
    # aloft.pythons finds (pyenv's shims hide real installs from uv).
    within = pythons.interpreter_within(pythons.project_python(root / "pyproject.toml"))
    check = subprocess.run(
        [_uv(), "lock", "--check", "--offline", "--project", str(root)],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "UV_PYTHON": str(within)} if within else None,
    )
    if check.returncode != 0:
        message = (check.stderr.strip().splitlines() or ["out of date"])[-1]
        if "offline" not in message.lower() and "network" not in message.lower():
            raise ConfigError(
                f"{lock}: does not match pyproject.toml ({message.removeprefix('error: ')}); "
                "run `uv lock`"
            )
    result = subprocess.run(
        [
            _uv(),
            "export",
            "--frozen",
            "--no-dev",
            "--no-emit-project",
            "--no-emit-workspace",
            "--no-header",
            "--no-hashes",
            "--no-annotate",
            "--format",
            "requirements-txt",
            "--project",
            str(root),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise ConfigError(
            f"{lock}: uv export failed ({(result.stderr.strip().splitlines() or [''])[-1]}); "
            "run `uv lock`"
        )
    lines = [
        line
        for line in result.stdout.splitlines()
        if line.strip() and not line.startswith("#") and not _is_runtime(line)
    ]
    local = [line for line in lines if line.startswith(("-e", "./", "../", "/", "file:"))]
    if local:
        raise ConfigError(
            f"{lock}: local path dependency {local[0]!r}; aloft build installs wheels from an "
            "index only"
        )
    return "\n".join(lines) + "\n"


def _is_runtime(line: str) -> bool:
    """aloft installs the runtime itself (from this tooling), whatever source the lock names."""
    words = line.replace("-e ", "").strip().split(";")[0].strip()
    name = re.split(r"[=<>!~ \[]", words, maxsplit=1)[0]
    return name.lower().replace("_", "-") == "aloft-runtime" or words.rstrip("/").endswith(
        "aloft-runtime"
    )


def _names(requirements: str) -> set[str]:
    return {
        re.split(r"[=<>!~ ;\[]", line, maxsplit=1)[0].lower().replace("_", "-")
        for line in requirements.splitlines()
        if line.strip()
    }


def server_requirements(requirements: str, interface: str) -> list[str]:
    """The production server for the app's interface, unless the lock already pins it."""
    names = _names(requirements)
    asgi = interface == "asgi" or (interface == "auto" and bool(names & ASGI_FRAMEWORKS))
    return [name for name in (ASGI_SERVER if asgi else WSGI_SERVER) if name not in names]


def resolve_base(
    reference: str,
    platform: Platform,
    cache: Cache,
    insecure: tuple[str, ...] = (),
    python_version: str = "",
    *,
    project: pythons.ProjectPython,
    progress: Progress = _quiet,
) -> BaseImage:
    """The base image, whose Python satisfies the project's requires-python.

    Without a reference, aloft's own base from the Debian suite aloft.pythons picks (the
    project's version where a suite ships it; `python_version` asks for one); a named base is
    pulled and its recorded Python checked. Either way a mismatch is a ConfigError, never an
    image with the wrong Python.
    """
    if not reference:
        choice = pythons.base_suite(
            project, python_version, field=f"{project.pyproject} [tool.aloft.image] python_version"
        )
        if choice.note:
            progress(f"note: {choice.note}")
        base = build_base(platform, cache, suite=choice.suite)
        where = f"aloft's base from Debian {base.suite}"
        fix = "widen requires-python or set [tool.aloft.image] base to an image that matches"
    else:
        from aloft.image import publish
        from aloft.image.registry import Registry

        ref = ImageRef.parse(reference, what="base image")
        with Registry(ref.registry, insecure=ref.registry in insecure) as registry:
            image = publish.pull(registry, ref, platform, cache)
        base = BaseImage.from_image(image, str(ref), python_version)
        where = f"base {ref}"
        fix = "use a base with a matching Python, or leave [tool.aloft.image] base empty"
    if not project.allows(base.python_version):
        raise ConfigError(
            f"{where} has Python {base.python_version}, outside requires-python = "
            f"{project.requires!r} ({project.pyproject}); {fix}"
        )
    return base


# -- layers ----------------------------------------------------------------------------------------


def _runtime_files() -> tuple[Path, str, str]:
    """Where the installed runtime package lives, its version, and a digest of its files."""
    import aloft.runtime

    folder = Path(aloft.runtime.__file__).parent
    sha = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        sha.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    try:
        version = importlib.metadata.version("aloft-runtime")
    except importlib.metadata.PackageNotFoundError:
        version = "0"
    return folder, version, sha.hexdigest()


def uv_platform(platform: Platform, base: BaseImage) -> str:
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.architecture)
    if machine is None:
        raise OperationFailed(
            f"platform {platform}: aloft build installs wheels for linux/amd64 and linux/arm64"
        )
    if not base.glibc:
        # A base that does not record its glibc: manylinux2014 wheels run on any glibc base.
        return f"{machine}-manylinux_2_17"
    major, minor = base.glibc.split(".")[:2]
    # uv knows manylinux tags up to 2_40; a newer glibc still runs every one of those wheels.
    tag = min(int(minor), 40) if major == "2" else 17
    return f"{machine}-manylinux_2_{tag}"


def dependency_layer(
    requirements: str,
    server: list[str],
    platform: Platform,
    base: BaseImage,
    cache: Cache,
    mtime: int,
) -> tuple[Layer, list[dict[str, str]], bool]:
    runtime_dir, runtime_version, runtime_digest = _runtime_files()
    target_platform = uv_platform(platform, base)
    key = key_of(
        RECIPE,
        "deps",
        requirements,
        server,
        target_platform,
        base.python_version,
        runtime_digest,
        mtime,
    )
    record = cache.record("layers", key)
    if record and cache.has_blob(record["layer"]["digest"]):
        return Layer(**record["layer"]), record["packages"], True
    with cache.scratch("deps-") as scratch:
        site = scratch / SITE_PACKAGES.lstrip("/")
        site.mkdir(parents=True)
        reqs = scratch / "requirements.txt"
        reqs.write_text(requirements + "".join(f"{name}\n" for name in server))
        result = subprocess.run(
            [
                _uv(),
                "pip",
                "install",
                "--quiet",
                "--no-config",
                # Copies, not hard links into uv's cache: nothing done to the tree may reach it.
                "--link-mode",
                "copy",
                "--target",
                str(site),
                "--python-platform",
                target_platform,
                "--python-version",
                base.python_version,
                "--only-binary",
                ":all:",
                "--no-compile",
                "-r",
                str(reqs),
            ],
            check=False,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise OperationFailed(_install_failure(result.stderr, platform))
        shutil.rmtree(site / "bin", ignore_errors=True)
        _install_runtime(site, runtime_dir, runtime_version)
        packages = sbom.python_packages(site)
        sources = [p.relative_to(scratch).as_posix() for p in site.rglob("*.py")]
        bytecode.compile_tree(scratch, sources, base.python_minor)
        tree = tree_from_folder(site, SITE_PACKAGES)
        for entry in list(tree.walk()):
            if entry.kind == "file":
                tree.add(dataclasses.replace(entry, mode=0o755 if entry.mode & 0o111 else 0o644))
        layer = write_layer(tree.walk(), cache, mtime)
    cache.put_record("layers", key, {"layer": dataclasses.asdict(layer), "packages": packages})
    return layer, packages, False


def _install_failure(stderr: str, platform: Platform) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    detail = next(
        (line for line in lines if "wheel" in line or "because" in line.lower()),
        lines[-1] if lines else "",
    )
    detail = re.sub(r"^[\u00d7x]\s*", "", detail).removeprefix("╰─▶ ").strip()
    return (
        f"installing the locked dependencies for {platform} failed: {detail}; pick versions that "
        f"publish {platform} wheels (uv lock --upgrade-package NAME) or drop {platform}"
    )


def _install_runtime(site: Path, runtime_dir: Path, version: str) -> None:
    """The runtime package as installed with this tooling (it is pure standard-library Python)."""
    target = site / "aloft" / "runtime"
    for path in sorted(runtime_dir.rglob("*.py")):
        dest = target / path.relative_to(runtime_dir)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
    info = site / f"aloft_runtime-{version}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: aloft-runtime\nVersion: {version}\nLicense: Apache-2.0\n"
    )
    (info / "INSTALLER").write_text("aloft\n")


def app_files(root: Path, exclude: list[str]) -> list[Path]:
    """The project's source files for the app layer, relative to `root`, sorted."""
    found = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIP_NAMES and not d.startswith(".") and not d.endswith(".egg-info")
        )
        for name in sorted(files):
            if name.startswith(".") or name.endswith((".pyc", ".pyo")):
                continue
            rel = (here / name).relative_to(root)
            if any(
                fnmatch.fnmatch(rel.as_posix(), pattern) or fnmatch.fnmatch(name, pattern)
                for pattern in exclude
            ):
                continue
            if (here / name).is_file():
                found.append(rel)
    return sorted(found)


def app_layer(
    root: Path, workdir: str, exclude: list[str], python_minor: str, cache: Cache, mtime: int
) -> tuple[Layer, bool]:
    files = app_files(root, exclude)
    sha = hashlib.sha256()
    for rel in files:
        sha.update(
            rel.as_posix().encode() + b"\0" + hashlib.sha256((root / rel).read_bytes()).digest()
        )
    key = key_of(RECIPE, "app", workdir, python_minor, sha.hexdigest(), mtime)
    record = cache.record("layers", key)
    if record and cache.has_blob(record["layer"]["digest"]):
        return Layer(**record["layer"]), True
    with cache.scratch("app-") as scratch:
        app = scratch / workdir.lstrip("/")
        for rel in files:
            dest = app / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / rel, dest)
            if os.access(root / rel, os.X_OK):
                dest.chmod(0o755)
        bytecode.compile_tree(
            scratch,
            [(app / rel).relative_to(scratch).as_posix() for rel in files if rel.suffix == ".py"],
            python_minor,
        )
        tree = Tree()
        tree.dir(workdir)
        for entry in tree_from_folder(app, workdir).walk():
            tree.add(entry)
        layer = write_layer(tree.walk(), cache, mtime)
    cache.put_record("layers", key, {"layer": dataclasses.asdict(layer)})
    return layer, False


# -- config ----------------------------------------------------------------------------------------


def image_config(resolved: ResolvedConfig, base: BaseImage, mtime: int) -> dict[str, Any]:
    settings = resolved.config.image
    serve = resolved.config.serve
    base_config = base.image.config_json()
    inherited = dict(base_config.get("config") or {})
    env: dict[str, str] = {}
    for item in inherited.get("Env") or []:
        key, _, value = item.partition("=")
        env[key] = value
    python_path = [settings.workdir]
    if (resolved.root / "src").is_dir():
        python_path.append(f"{settings.workdir}/src")
    python_path.append(SITE_PACKAGES)
    env.update(
        {
            "PYTHONPATH": ":".join(python_path),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            "HOME": "/tmp",
        }
    )
    env.update(serve.to_env())
    labels = dict(inherited.get("Labels") or {})
    labels.update(_annotations(resolved, base, mtime))
    labels.update(settings.labels)
    config = {
        "User": f"{settings.user}:{settings.user}",
        "WorkingDir": settings.workdir,
        "Env": [f"{k}={v}" for k, v in sorted(env.items())],
        "Entrypoint": [base.python, "-m", "aloft.runtime", "serve"],
        "ExposedPorts": {f"{serve.port}/tcp": {}},
        "StopSignal": "SIGTERM",
        "Labels": dict(sorted(labels.items())),
    }
    history = list(base_config.get("history") or [])
    created = _timestamp(mtime)
    history += [
        {
            "created": created,
            "created_by": "aloft build: dependencies from uv.lock, runtime and server",
        },
        {"created": created, "created_by": f"aloft build: app source in {settings.workdir}"},
    ]
    return {"created": created, "config": config, "history": history}


def _annotations(resolved: ResolvedConfig, base: BaseImage | None, mtime: int) -> dict[str, str]:
    out = {
        "org.opencontainers.image.created": _timestamp(mtime),
        "org.opencontainers.image.title": resolved.project_name,
        "org.opencontainers.image.version": _project_version(resolved.root),
    }
    source = resolved.config.image.source
    if source:
        out["org.opencontainers.image.source"] = source
    revision = _git_revision(resolved.root)
    if revision:
        out["org.opencontainers.image.revision"] = revision
    if base is not None:
        out["org.opencontainers.image.base.name"] = base.reference
    return out


def _git_revision(root: Path) -> str:
    if not shutil.which("git"):
        return ""
    result = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], check=False, capture_output=True, text=True
    )
    if result.returncode != 0:
        return ""
    dirty = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--", "."],
        check=False,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def write_json(path: Path, value: Any) -> None:
    from aloft.image.cache import atomic_write

    atomic_write(path, json.dumps(value, indent=2, sort_keys=True).encode())
