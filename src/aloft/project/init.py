"""`aloft init`: the [tool.aloft] table for a detected app, and the runtime as a dependency.

The pyproject.toml is edited with tomlkit so the user's comments, order and formatting survive;
the change is planned first (for --diff) and written whole (temp file + rename).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import shlex
import shutil
import subprocess
from pathlib import Path

from aloft.exceptions import ConfigError, OperationFailed
from aloft.fileio import atomic_write
from aloft.project.detect import Detection

RUNTIME = "aloft-runtime"
_REQUIREMENT = re.compile(r"^\s*aloft[-_.]runtime\s*(?:\[([^\]]*)\])?", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class InitPlan:
    """The planned change: pyproject.toml's text before and after, and what to add with uv."""

    pyproject: Path
    before: str
    after: str
    app: str
    interface: str
    requirement: str | None  # e.g. "aloft-runtime[asgi]"; None when the project has it already

    @property
    def changes(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        name = self.pyproject.name
        lines = difflib.unified_diff(
            self.before.splitlines(keepends=True),
            self.after.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
        return "".join(lines)


def runtime_requirement(interface: str) -> str:
    """The runtime with the extra that brings the server for this interface."""
    return f"{RUNTIME}[{interface}]"


def plan_init(
    root: Path,
    detection: Detection,
    *,
    app: str | None = None,
    interface: str | None = None,
    force: bool = False,
) -> InitPlan:
    """Plan [tool.aloft] for the detected (or given) app; refuse to replace an existing table."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        hint = (
            "`uv init --bare` then `uv add -r requirements.txt`"
            if (root / "requirements.txt").is_file()
            else "`uv init --bare`"
        )
        raise ConfigError(
            f"{pyproject}: not found; aloft reads the project from pyproject.toml and uv.lock: "
            f"create them with {hint}, then run aloft init again"
        )
    chosen = detection.app
    if app is None and chosen is None:
        raise OperationFailed(
            f"{root}: {detection.missing()[0]}; name it with --app module:attribute"
        )
    spec = app or (chosen.spec if chosen else "")
    if interface is None:
        matching = next((c for c in detection.candidates if c.spec == spec), chosen)
        if matching is None or (app is not None and matching.spec != spec):
            raise ConfigError(
                f"--app {spec}: not among the detected apps, so ASGI or WSGI is unknown; "
                "add --interface asgi or --interface wsgi"
            )
        interface = matching.interface
    before = pyproject.read_text(encoding="utf-8")
    try:
        document = tomlkit.parse(before)
    except TOMLKitError as exc:
        raise ConfigError(f"{pyproject}: not valid TOML ({exc}); fix it first") from None
    tool = document.get("tool")
    if tool is None:
        tool = tomlkit.table(is_super_table=True)
        document["tool"] = tool
    existing = tool.get("aloft")
    if existing is not None and not force:
        current = existing.get("app")
        raise ConfigError(
            f"{pyproject} [tool.aloft]: exists already"
            + (f" (app = {current!r})" if current else "")
            + "; aloft init never replaces it: edit it, or add --force to set app and keep "
            "the other keys"
        )
    if existing is None:
        table = tomlkit.table()
        table.add(tomlkit.comment("Written by `aloft init`: the ASGI/WSGI object aloft serves."))
        table.add("app", spec)
        tool.append("aloft", table)
    else:
        existing["app"] = spec
    after = tomlkit.dumps(document)
    if existing is None:
        # tomlkit puts the new table among the other [tool.*] ones; keep a blank line after it.
        line = f"app = {tomlkit.string(spec).as_string()}\n"
        after = after.replace(line + "[", line + "\n[", 1)
    present = _runtime_extras(document)
    requirement = (
        None if present is not None and interface in present else runtime_requirement(interface)
    )
    return InitPlan(pyproject, before, after, spec, interface, requirement)


def _runtime_extras(document: object) -> set[str] | None:
    """The extras of aloft-runtime in [project] dependencies; None when it is not there."""
    project = document.get("project", {}) if isinstance(document, dict) else {}
    for item in project.get("dependencies", []) or []:
        match = _REQUIREMENT.match(str(item))
        if match:
            return {e.strip() for e in (match.group(1) or "").split(",") if e.strip()}
    return None


def write_plan(plan: InitPlan) -> None:
    """Replace pyproject.toml in one step: a reader never sees it half-written."""
    if not plan.changes:
        return
    mode = plan.pyproject.stat().st_mode & 0o777
    atomic_write(plan.pyproject, plan.after.encode("utf-8"), mode)


def add_command(plan: InitPlan, source: Path | None = None) -> list[str] | None:
    """The `uv add` that puts the runtime into the app's dependencies (None: nothing to add).

    `source` is a wheel of aloft-runtime (until it is on the package index, or for a build from a
    clone); uv records it in [tool.uv.sources]."""
    if plan.requirement is None:
        return None
    root = str(plan.pyproject.parent)
    if source is not None:
        return ["uv", "add", "--project", root, "--extra", plan.interface, str(source.resolve())]
    return ["uv", "add", "--project", root, plan.requirement]


def add_runtime(plan: InitPlan, source: Path | None = None) -> list[str] | None:
    """Run `uv add` for the runtime; its last error line becomes one line of ours."""
    command = add_command(plan, source)
    if command is None:
        return None
    if shutil.which("uv") is None:
        raise OperationFailed(f"uv not found on PATH: install uv, then run {shlex.join(command)}")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["uv add failed"])[-1]
        raise OperationFailed(
            f"{plan.pyproject}: `{shlex.join(command)}` failed ({detail}); [tool.aloft] is "
            f"written; add the runtime yourself, e.g. from a wheel: uv add --extra "
            f"{plan.interface} PATH/TO/aloft_runtime-*.whl"
        )
    return command
