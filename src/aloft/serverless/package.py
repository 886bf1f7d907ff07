"""`aloft lambda package`: reproducible zips for the target architecture and Python.

Dependencies come from the project's uv.lock, as manylinux wheels for the target (never the
build machine's), stripped of what never runs on Lambda; the app's source goes in a small
function zip, the dependencies (optionally) in a layer zip. aloft's runtime is copied in from
this installation: it is standard library only, and the production servers it would pull in as
extras (gunicorn, uvicorn) are not needed on Lambda. Bytecode is precompiled (unchecked-hash
.pyc: Lambda's file system is read-only, so without it every cold start compiles again), with
the file names it will have on Lambda and a fixed hash seed, so the zips are byte-reproducible.
By default dependencies ship as bytecode only, without the column tables of PEP 657 (their
tracebacks keep file and line, lose the source text and the ^^^ markers); the app's own code
keeps its source and full tracebacks. Lock, install, runtime, bytecode and the app's files
come from `aloft.bundle`, the same path as `aloft build`'s layers; the zip is checked to hold
every function's entry point before it is reported.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aloft import bundle, pythons
from aloft.config import ResolvedConfig
from aloft.exceptions import ConfigError, OperationFailed
from aloft.progress import as_progress
from aloft.serverless.model import DEFAULT_HANDLER, Stack, build_stack

# AWS Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html,
# read 2026-11): a zip uploaded directly, and a function plus its layers once unzipped.
MAX_ZIPPED = 50 * 1024 * 1024
MAX_UNZIPPED = 250 * 1024 * 1024
_STAMP = (1980, 1, 1, 0, 0, 0)  # the earliest zip date: the same bytes on every build
# Where Lambda puts each zip: a layer's python/ folder and the function's code.
LAYER_ROOT = "/opt/python"
TASK_ROOT = "/var/task"


@dataclass(frozen=True)
class ZipReport:
    path: Path
    files: int
    zipped: int
    unzipped: int
    sha256: str


@dataclass
class PackageResult:
    function: ZipReport
    layer: ZipReport | None
    python: str
    architecture: str
    bytecode: bool
    largest: list[tuple[str, int]] = field(default_factory=list)  # top-level packages by size
    app_files: list[str] = field(default_factory=list)  # the function zip's app files
    note: str = ""  # what the file rule's deny-list left out, one line
    verified_by: str = ""  # "import", or "file listing (...why the import stopped)"

    @property
    def unzipped(self) -> int:
        return self.function.unzipped + (self.layer.unzipped if self.layer else 0)

    @property
    def zips(self) -> list[ZipReport]:
        return [z for z in (self.function, self.layer) if z is not None]

    def as_json(self) -> dict[str, Any]:
        return {
            "python": self.python,
            "architecture": self.architecture,
            "bytecode": self.bytecode,
            "zips": [
                {
                    "path": str(z.path),
                    "files": z.files,
                    "zipped": z.zipped,
                    "unzipped": z.unzipped,
                    "sha256": z.sha256,
                }
                for z in self.zips
            ],
            "largest": dict(self.largest),
            "app_files": self.app_files,
            "verified_by": self.verified_by,
        }

    def report(self) -> str:
        """The size report `aloft lambda package` prints."""
        lines = [
            f"Python {self.python}, {self.architecture}, bytecode "
            + ("precompiled" if self.bytecode else "not precompiled (no such Python here)")
        ]
        lines += [
            f"  {z.path}  {z.files} files  {human_size(z.zipped)} zipped"
            f"  {human_size(z.unzipped)} unzipped"
            for z in self.zips
        ]
        lines.append(
            "largest dependencies: "
            + ", ".join(f"{name} {human_size(size)}" for name, size in self.largest)
        )
        lines.append(f"entry points checked by {self.verified_by}")
        return "\n".join(lines)


def human_size(n: int) -> str:
    return f"{n / 2**20:.2f} MB" if n >= 2**20 else f"{n / 1024:.1f} kB"


def deploy_zips(
    resolved: ResolvedConfig,
    stack: Stack,
    out_dir: Path,
    progress: Callable[[str], None] | None = None,
) -> tuple[Path | None, Path | None]:
    """The function and layer zips a deploy of `stack` uploads, packaged now into `out_dir`;
    none for an image stack (its functions run the image)."""
    if stack.image:
        return None, None
    built = package(resolved, out_dir, stack, progress)
    return built.function.path, built.layer.path if built.layer else None


def _target_python(version: str, root: Path) -> Path | None:
    """An interpreter of the target version (the app's .venv first), to precompile bytecode it
    will accept; None ships sources, never bytecode for another version."""
    return pythons.find_interpreter(version, root)


def write_zip(tree: Path, destination: Path, prefix: str = "") -> ZipReport:
    """A byte-reproducible zip: sorted entries, fixed dates and permissions."""
    files = sorted(p for p in tree.rglob("*") if p.is_file())
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    unzipped = 0
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in files:
            rel = prefix + path.relative_to(tree).as_posix()
            info = zipfile.ZipInfo(rel, date_time=_STAMP)
            mode = 0o755 if os.access(path, os.X_OK) and path.suffix in ("", ".so") else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            unzipped += len(data)
            archive.writestr(info, data, compresslevel=9)
    os.replace(partial, destination)
    digest = hashlib.sha256(destination.read_bytes()).hexdigest()
    return ZipReport(destination, len(files), destination.stat().st_size, unzipped, digest)


def _largest(tree: Path, count: int = 8) -> list[tuple[str, int]]:
    sizes: dict[str, int] = {}
    for path in tree.rglob("*"):
        if path.is_file():
            top = path.relative_to(tree).parts[0]
            sizes[top] = sizes.get(top, 0) + path.stat().st_size
    return sorted(sizes.items(), key=lambda item: -item[1])[:count]


def package(
    resolved: ResolvedConfig,
    out_dir: Path,
    stack: Stack | None = None,
    progress: Callable[[str], None] | None = None,
) -> PackageResult:
    settings = resolved.config.lambda_
    show = as_progress(progress)
    if settings.package == "image":
        raise ConfigError(
            f'{resolved.pyproject} [tool.aloft.lambda] package = "image": there is no zip to'
            " make; build the image with `aloft build --target lambda`"
        )
    stack = stack or build_stack(resolved)
    root = resolved.root
    # Lambda runs events through the runtime, not an HTTP server: no gunicorn/uvicorn.
    whole = bundle.read_lock(root)
    locked = whole.without_servers(resolved.project_name)
    bundle.check_tracing(resolved, locked)
    selection = bundle.select(root, bundle.file_rule(resolved, whole))
    target = bundle.Target.lambda_runtime(stack.python, stack.architecture)
    python = _target_python(stack.python, root)
    with tempfile.TemporaryDirectory(prefix="aloft-lambda-") as scratch:
        deps = Path(scratch) / "deps"
        app = Path(scratch) / "app"
        wanted = f"Python {stack.python} {stack.architecture}"
        show(f"dependencies: {len(locked.requirements)} locked, for {wanted}")
        compiled = bundle.build_dependencies(
            locked,
            target,
            deps,
            interpreter=python,
            deployed=LAYER_ROOT if stack.layer else TASK_ROOT,
            trimmed=True,
            bytecode_only=settings.bytecode_only,
            debug_ranges=False,
        )
        show("app")
        bundle.build_app(selection, app, target, interpreter=python, deployed=TASK_ROOT)
        show("checking entry points")
        listing = bundle.Listing.of_trees([app, deps])
        checks = {
            bundle.check(
                "function.zip",
                [entry],
                listing,
                import_roots=[app, deps],
                interpreter=python if target.runs_here() else None,
                environment=environment,
            )
            for entry, environment in _entry_points(stack)
        }
        verified_by = next((how for how in sorted(checks) if how != "import"), "import")
        largest = _largest(deps)
        # Written beside the destination and renamed, so a failure leaves no half-made zip.
        show("zipping")
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".aloft-zips-", dir=out_dir) as staging:
            if stack.layer:
                layer: ZipReport | None = write_zip(deps, Path(staging) / "layer.zip", "python/")
                function = write_zip(app, Path(staging) / "function.zip")
            else:
                shutil.copytree(app, deps, dirs_exist_ok=True)
                layer = None
                function = write_zip(deps, Path(staging) / "function.zip")
            result = PackageResult(
                function,
                layer,
                stack.python,
                stack.architecture,
                compiled,
                largest,
                selection.dests(),
                selection.note(),
                verified_by,
            )
            check_limits(result)
            result.function = _move(function, out_dir)
            result.layer = _move(layer, out_dir) if layer else None
            if not stack.layer:
                (out_dir / "layer.zip").unlink(missing_ok=True)  # a stale one would mislead
    return result


def _move(report: ZipReport, out_dir: Path) -> ZipReport:
    final = out_dir / report.path.name
    os.replace(report.path, final)
    return ZipReport(final, report.files, report.zipped, report.unzipped, report.sha256)


def _entry_points(stack: Stack) -> list[tuple[bundle.EntryPoint, dict[str, str]]]:
    """Each distinct entry point, with what its (first) function's code sees at import on
    Lambda: its plain variables."""
    entries: dict[bundle.EntryPoint, dict[str, str]] = {}
    for function in stack.functions:
        env = {
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "LAMBDA_TASK_ROOT": TASK_ROOT,
            **function.environment,
        }
        if function.handler == DEFAULT_HANDLER:
            entry = bundle.EntryPoint.app(function.environment["ALOFT_APP"])
        else:
            entry = bundle.EntryPoint.handler(function.handler, function.name)
        entries.setdefault(entry, env)
    return list(entries.items())


def check_limits(result: PackageResult) -> None:
    for report in (result.function, result.layer):
        if report is not None and report.zipped > MAX_ZIPPED:
            raise OperationFailed(
                f"{report.path.name} is {report.zipped / 2**20:.1f} MB zipped, over Lambda's "
                "50 MB direct-upload limit; deploy a container image instead "
                "(aloft build --target lambda)"
            )
    if result.unzipped > MAX_UNZIPPED:
        raise OperationFailed(
            f"the function and its layer are {result.unzipped / 2**20:.1f} MB unzipped, over "
            "Lambda's 250 MB limit; deploy a container image instead (aloft build --target lambda)"
        )
