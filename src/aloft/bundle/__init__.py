"""One bundling path, from uv.lock and the project's files to installed trees for a target.

Used by both `aloft build` (image layers) and `aloft lambda package` (zips), so a fix for a
project shape reaches both:

    lock (read_lock) -> dependencies for a Target (Python X.Y, CPU, glibc) + aloft's runtime
    files (select, one include/exclude rule) -> the app tree
    one bytecode step, only with an interpreter of the target's version (else sources ship)
    verify: the trees hold the module and object each entry point names

It takes plain values and imports neither `aloft.image` nor `aloft.serverless`.
"""

from __future__ import annotations

from pathlib import Path

from aloft.bundle import bytecode
from aloft.bundle.files import FileRule, Selection, select
from aloft.bundle.install import copy_app, copy_runtime, install_dependencies, trim
from aloft.bundle.lock import Locked, read_lock, server_requirements
from aloft.bundle.target import Target
from aloft.bundle.verify import EntryPoint, Listing, check
from aloft.config import ResolvedConfig
from aloft.exceptions import ConfigError, OperationFailed

__all__ = [
    "EntryPoint",
    "FileRule",
    "Listing",
    "Locked",
    "Selection",
    "Target",
    "build_app",
    "build_dependencies",
    "check",
    "check_aws",
    "check_tracing",
    "file_rule",
    "read_lock",
    "select",
    "server_requirements",
]


def file_rule(resolved: ResolvedConfig, locked: Locked | None = None) -> FileRule:
    """[tool.aloft] include/exclude; the older [tool.aloft.image] exclude and
    [tool.aloft.lambda] include/exclude join the same rule: every artifact gets the same files.

    Local projects of the lock that sit inside the project (workspace members below it) are
    installed as dependencies, so their folders are not app files as well."""
    config = resolved.config
    root = resolved.root.resolve()
    inside = [
        f"/{p.path.resolve().relative_to(root).as_posix()}/"
        for p in (locked.local if locked else ())
        if p.path.resolve().is_relative_to(root) and p.path.resolve() != root
    ]
    return FileRule(
        include=(*config.files.include, *config.lambda_.include),
        exclude=(*config.files.exclude, *config.image.exclude, *config.lambda_.exclude, *inside),
    )


def check_tracing(resolved: ResolvedConfig, locked: Locked) -> None:
    """With span export on, the artifact must hold OpenTelemetry's SDK, its exporter and each
    instrumented client's package: else the service would only fail when it starts."""
    tracing = resolved.config.tracing
    if not tracing.on:
        return
    protocol = "grpc" if tracing.protocol == "grpc" else "http"
    wanted = [
        "opentelemetry-sdk",
        f"opentelemetry-exporter-otlp-proto-{protocol}",
        *(f"opentelemetry-instrumentation-{client}" for client in tracing.instrument),
    ]
    missing = [name for name in wanted if name not in locked.names()]
    if missing:
        extra = "add aloft-runtime's otel extra (e.g. `uv add 'aloft-runtime[asgi,otel]'`)"
        others = [m for m in missing if m not in ("opentelemetry-sdk", wanted[1])]
        if others or protocol == "grpc":
            extra = f"`uv add {' '.join(missing)}`"
        raise ConfigError(
            f'{resolved.pyproject} [tool.aloft.tracing] exporter = "otlp": {", ".join(missing)}'
            f" not in {locked.lock.name}, so the service could not export spans; {extra}"
        )


def check_aws(resolved: ResolvedConfig, locked: Locked) -> None:
    """An image for the cluster whose pods call AWS themselves must hold boto3: its queue
    consumers receive from SQS, and its consumers' and CronJobs' secrets by reference are fetched
    from SSM or Secrets Manager when they start. Without it they would only fail when they start."""
    from aloft.config.consumers import queue_consumers

    if "boto3" in locked.names():
        return
    config = resolved.config
    try:
        consumers = queue_consumers(
            resolved.project_name, config.lambda_, config.kubernetes.consumers
        )
    except KeyError:  # a consumers table without its function: `k8s render` names it
        consumers = []
    needs = [f"the queue consumer of [tool.aloft.lambda.functions.{c.function}]" for c in consumers]
    for key, fn in config.lambda_.functions_of(resolved.project_name).items():
        if fn.secrets and any(e.type == "schedule" for e in fn.events):
            needs.append(f"the CronJob of [tool.aloft.lambda.functions.{key}] (its secrets)")
    if needs:
        raise ConfigError(
            f"{resolved.pyproject}: boto3 is not in {locked.lock.name}, and {needs[0]} calls AWS"
            " from the image; `uv add 'aloft-runtime[aws]'` (or boto3), or turn the consumer off"
            " with [tool.aloft.kubernetes.consumers.NAME] enabled = false"
        )


def build_dependencies(
    locked: Locked,
    target: Target,
    dest: Path,
    *,
    interpreter: Path | None,
    deployed: str,
    extra: list[str] | None = None,
    trimmed: bool = False,
    bytecode_only: bool = False,
    debug_ranges: bool = True,
) -> bool:
    """Install the locked dependencies, `extra` names and aloft's runtime into `dest` (which
    sits at `deployed` in the artifact); precompile them when `interpreter` is given. Returns
    whether bytecode was compiled."""
    install_dependencies(locked, target, dest, extra or [])
    if trimmed:
        trim(dest, target)
    copy_runtime(dest)
    if interpreter is None:
        return False
    _same_python(interpreter, target)
    bytecode.compile_tree(
        dest,
        interpreter,
        deployed,
        bytecode_only=bytecode_only,
        debug_ranges=debug_ranges,
    )
    return True


def build_app(
    selection: Selection, dest: Path, target: Target, *, interpreter: Path | None, deployed: str
) -> bool:
    """The app's selected files into `dest` (at `deployed`), sources kept for full tracebacks."""
    copy_app(selection, dest)
    if interpreter is None:
        return False
    _same_python(interpreter, target)
    bytecode.compile_tree(dest, interpreter, deployed)
    return True


def _same_python(interpreter: Path, target: Target) -> None:
    """Bytecode for another Python is ignored at best and wrong at worst: never write it."""
    found = bytecode.python_version_of(interpreter)
    if found != target.python:
        raise OperationFailed(
            f"{interpreter} is Python {found or '?'}, not the target's {target.python}; pass a "
            f"Python {target.python} interpreter, or none to ship sources"
        )
