"""`aloft build`: the project's lock file and source become an OCI image, without a daemon.

Layers, bottom to top: the base, the dependencies (the locked packages plus the runtime and the
production server, installed for the target platform and the base's Python version), and the app's
source. Each layer is cached by everything that determines its bytes, so a code-only change
rebuilds only the small app layer. What goes into the two layers comes from `aloft.bundle`, the
same path `aloft lambda package` takes, and the image must hold the module and object named by
`app` (or each Lambda handler) before it is reported.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aloft import bundle, pythons
from aloft.bundle.install import runtime_source
from aloft.config import ResolvedConfig
from aloft.exceptions import ConfigError
from aloft.image import lambda_target, sbom
from aloft.image.base import BaseImage, base_interpreter, build_base
from aloft.image.cache import Cache, key_of
from aloft.image.config import image_annotations, image_config, project_version
from aloft.image.lambda_target import FunctionCommand
from aloft.image.layers import Layer, Tree, tree_from_folder, write_layer
from aloft.image.oci import Image, ImageIndex, Platform, created, make_image, make_index
from aloft.image.record import Target
from aloft.image.reference import ImageRef

# Bump when what goes into a layer changes, so cached layers are rebuilt.
RECIPE = "2"
SITE_PACKAGES = "/opt/aloft/site-packages"
# The dependency layer's file times: fixed, not the commit time, so a commit that changes only
# code leaves the dependency layer (and its digest) as it was.
DEPENDENCY_MTIME = 0
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
    # --target lambda: every function's CMD, from the serverless model (the caller builds them).
    functions: tuple[FunctionCommand, ...] = ()


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
    note: str = ""  # what the file rule's deny-list left out, one line

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
        functions = options.functions
        if not functions:
            raise ValueError("a --target lambda build needs the functions' commands")
    mtime = options.mtime if options.mtime is not None else source_date_epoch(root)
    project = pythons.project_python(resolved.pyproject)
    locked = bundle.read_lock(root)
    bundle.check_tracing(resolved, locked)
    if options.target != "lambda":  # Lambda's runtime provides boto3; pods have only the image
        bundle.check_aws(resolved, locked)
    server = bundle.server_requirements(locked, resolved.config.serve.interface)
    selection = bundle.select(root, bundle.file_rule(resolved, locked))
    entries = _entry_points(resolved, functions)
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
        wanted = bundle.Target.of(
            base.python_minor, platform.architecture, base.glibc, str(platform)
        )
        interpreter = _target_python(base, cache, root)
        options.progress(f"{platform}: dependencies (Python {base.python_minor})")
        deps, packages, installed, deps_reused = dependency_layer(
            locked, server, wanted, base, cache, DEPENDENCY_MTIME, interpreter
        )
        bundle.check(
            "the image",
            entries,
            bundle.Listing({f.dest: f.source for f in selection.files}, frozenset(installed)),
        )
        options.progress(f"{platform}: app")
        app, app_reused = app_layer(selection, settings.workdir, wanted, interpreter, cache, mtime)
        config = image_config(resolved, base, mtime, SITE_PACKAGES)
        if functions:
            config = lambda_target.lambda_config(
                config, base, settings.workdir, functions[0].command
            )
        annotations = image_annotations(resolved, base, mtime)
        image = make_image(platform, [*base.image.layers, deps, app], config, annotations)
        reused = tuple(n for n, r in (("dependencies", deps_reused), ("app", app_reused)) if r)
        builds.append(PlatformBuild(image, base, tuple(packages), reused))
    target: Image | ImageIndex
    if len(builds) == 1:
        target = builds[0].image
    else:
        target = make_index([b.image for b in builds], image_annotations(resolved, None, mtime))
    version = project_version(root)
    return BuildResult(
        target,
        tuple(builds),
        created(mtime),
        resolved.project_name,
        version,
        options.target,
        functions,
        selection.note(),
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


def _tool_version() -> str:
    try:
        return importlib.metadata.version("aloft-cli")
    except importlib.metadata.PackageNotFoundError:
        return "0"


# -- inputs ----------------------------------------------------------------------------------------


def _target_python(base: BaseImage, cache: Cache, root: Path) -> Path | None:
    """An interpreter of the base's Python, to precompile bytecode it will accept: the base's
    own (so no matching Python need be installed here), else one of this machine's; None ships
    sources."""
    return base_interpreter(base, cache) or pythons.find_interpreter(base.python_minor, root)


def _entry_points(
    resolved: ResolvedConfig, functions: tuple[FunctionCommand, ...]
) -> list[bundle.EntryPoint]:
    """What the image runs: the app, or each Lambda function's handler."""
    if functions:
        return [
            bundle.EntryPoint.app(resolved.config.serve.app)
            if f.command[0].startswith("aloft.runtime.")
            else bundle.EntryPoint.handler(f.command[0], f.name)
            for f in functions
        ]
    return [bundle.EntryPoint.app(resolved.config.serve.app)] if resolved.config.serve.app else []


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
            image = publish.pull(registry, ref, platform, cache, progress)
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


def dependency_layer(
    locked: bundle.Locked,
    server: list[str],
    target: bundle.Target,
    base: BaseImage,
    cache: Cache,
    mtime: int,
    interpreter: Path | None,
) -> tuple[Layer, list[dict[str, str]], list[str], bool]:
    """The locked dependencies, the server and the runtime, for the target, at SITE_PACKAGES.

    Returns the layer, its packages (for the SBOM), its top-level importable names (to check
    the entry points) and whether it came from the cache.
    """
    _, runtime_digest = runtime_source()
    key = key_of(
        RECIPE,
        "deps",
        locked.fingerprint(),
        server,
        target.uv_platform,
        base.python_version,
        runtime_digest,
        interpreter is not None,
        mtime,
    )
    record = cache.record("layers", key)
    if record and cache.has_blob(record["layer"]["digest"]) and "installed" in record:
        return Layer(**record["layer"]), record["packages"], record["installed"], True
    with cache.scratch("deps-") as scratch:
        site = scratch / SITE_PACKAGES.lstrip("/")
        bundle.build_dependencies(
            locked, target, site, interpreter=interpreter, deployed=SITE_PACKAGES, extra=server
        )
        packages = sbom.python_packages(site)
        installed = sorted(
            p.name.split(".")[0] for p in site.iterdir() if not p.name.endswith(".dist-info")
        )
        tree = tree_from_folder(site, SITE_PACKAGES)
        for entry in list(tree.walk()):
            if entry.kind == "file":
                tree.add(dataclasses.replace(entry, mode=0o755 if entry.mode & 0o111 else 0o644))
        layer = write_layer(tree.walk(), cache, mtime)
    cache.put_record(
        "layers",
        key,
        {"layer": dataclasses.asdict(layer), "packages": packages, "installed": installed},
    )
    return layer, packages, installed, False


def app_layer(
    selection: bundle.Selection,
    workdir: str,
    target: bundle.Target,
    interpreter: Path | None,
    cache: Cache,
    mtime: int,
) -> tuple[Layer, bool]:
    """The app's files, by the rule every artifact shares, at `workdir`."""
    sha = hashlib.sha256()
    for item in selection.files:
        sha.update(
            f"{item.dest}\0{int(item.executable)}\0".encode()
            + hashlib.sha256(item.source.read_bytes()).digest()
        )
    key = key_of(
        RECIPE, "app", workdir, target.python, interpreter is not None, sha.hexdigest(), mtime
    )
    record = cache.record("layers", key)
    if record and cache.has_blob(record["layer"]["digest"]):
        return Layer(**record["layer"]), True
    with cache.scratch("app-") as scratch:
        app = scratch / workdir.lstrip("/")
        bundle.build_app(selection, app, target, interpreter=interpreter, deployed=workdir)
        tree = Tree()
        tree.dir(workdir)
        for entry in tree_from_folder(app, workdir).walk():
            tree.add(entry)
        layer = write_layer(tree.walk(), cache, mtime)
    cache.put_record("layers", key, {"layer": dataclasses.asdict(layer)})
    return layer, False
