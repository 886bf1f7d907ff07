"""Which Python: the project's own, an interpreter for it on this machine, and each target's.

The one owner of the fact. `requires-python` ([project] in pyproject.toml) is the constraint the
lock was resolved for; `.python-version` (written by `uv init`/`uv python pin`, pyenv) names the
version the project is on. Every target (the image's Debian suite, the Lambda runtime, the
Dockerfile's base) takes that version when it offers it, otherwise the nearest one
requires-python allows, and says so in a note; nothing outside requires-python is ever chosen.
The app's `.venv` is checked against requires-python and named in notes, but does not steer the
choice: it is local state (made by whatever interpreter uv found), not in the repository, and the
same commit must give the same artifact everywhere. What each target offers is dated data in
pythons.toml.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aloft.exceptions import ConfigError
from aloft.workspace import workspace_root

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DATA = Path(__file__).with_name("pythons.toml")
PYTHON_VERSION_FILE = ".python-version"
# Minor versions a fix hint may suggest; far wider than any target offers.
_KNOWN_MINORS = tuple(f"3.{m}" for m in range(8, 20))
# .python-version holds a uv/pyenv request: 3.12, 3.12.1, cpython@3.12, cpython-3.12.1-..., 3.13t
_VERSION_IN_REQUEST = re.compile(r"(?<![\d.])3\.(\d+)(?:\.(\d+))?")


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def minor_of(version: str) -> str:
    """ "3.13.5" -> "3.13"."""
    return ".".join(version.split(".")[:2])


# -- the project ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ProjectPython:
    """The project's Python: requires-python, and the version it runs on where one is named."""

    pyproject: Path
    requires: str  # requires-python as written; "" when absent (any version)
    version: str = ""  # major.minor .python-version names; "" without one
    source: str = ""  # the file that named `version`
    environment: str = ""  # major.minor of the app's .venv, if it has one (informs notes only)
    environment_source: str = ""  # its pyvenv.cfg

    @property
    def specifiers(self) -> SpecifierSet:
        # Imported here: the config loads this module, and packaging costs start-up time.
        from packaging.specifiers import SpecifierSet

        return SpecifierSet(self.requires)

    def allows(self, version: str) -> bool:
        """Whether requires-python admits `version`: exactly for X.Y.Z, some X.Y.Z for X.Y."""
        spec = self.specifiers
        if version.count(".") >= 2:
            return spec.contains(version, prereleases=True)
        return any(spec.contains(f"{version}.{patch}", prereleases=True) for patch in range(100))

    def allowed(self, versions: Iterable[str]) -> list[str]:
        return [v for v in versions if self.allows(v)]

    def describe(self) -> str:
        """Where the constraint is written, for error lines."""
        return f"{self.pyproject} [project] requires-python = {self.requires!r}"

    def fix_hint(self) -> str:
        """A version the project could name instead, for error lines."""
        allowed = self.allowed(_KNOWN_MINORS)
        return allowed[0] if allowed else "a version requires-python allows"


def project_python(pyproject: Path) -> ProjectPython:
    """Read and reconcile requires-python, .python-version and the app's .venv.

    A .python-version or .venv outside requires-python is a ConfigError naming the file and the
    fix. Only .python-version sets `version`; a venv that disagrees with it is rebuilt by
    `uv sync`.
    """
    pyproject = pyproject if pyproject.name == "pyproject.toml" else pyproject / "pyproject.toml"
    try:
        with pyproject.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{pyproject}: cannot read it ({exc})") from None
    raw = data.get("project", {}).get("requires-python", "")
    if not isinstance(raw, str):
        raise ConfigError(
            f'{pyproject} [project] requires-python: not a string; write e.g. ">=3.11"'
        )
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        SpecifierSet(raw)
    except InvalidSpecifier:
        raise ConfigError(
            f"{pyproject} [project] requires-python = {raw!r}: not a version specifier; "
            'write e.g. ">=3.11"'
        ) from None
    project = ProjectPython(pyproject, raw.strip())
    root = pyproject.parent
    pinned = _python_version_file(root)
    venv = _venv_version(root)
    for found in (pinned, venv):
        if found is not None and not project.allows(found[0]):
            version, path = found
            fix = (
                f"write a version it allows there, e.g. {project.fix_hint()}"
                if path.name == PYTHON_VERSION_FILE
                else f"recreate it: rm -rf {path.parent} && uv sync --python {project.fix_hint()}"
            )
            raise ConfigError(
                f"{path}: Python {version} is outside requires-python = {project.requires!r} "
                f"({pyproject}); {fix}"
            )
    if pinned is not None:
        project = dataclasses.replace(project, version=minor_of(pinned[0]), source=str(pinned[1]))
    if venv is not None:
        project = dataclasses.replace(
            project, environment=minor_of(venv[0]), environment_source=str(venv[1])
        )
    return project


def _environment_note(project: ProjectPython, chosen: str, target: str) -> str:
    """Said when the app's venv runs another Python than the target gets, with no pin."""
    if project.version or not project.environment or project.environment == chosen:
        return ""
    return (
        f"the app's environment ({project.environment_source}) is Python "
        f"{project.environment} and no .python-version names one; {target} gets {chosen} "
        f"(pin it with `uv python pin`)"
    )


def _python_version_file(root: Path) -> tuple[str, Path] | None:
    """The version in the nearest .python-version at or above `root`, as uv looks for it."""
    for folder in (root, *root.parents):
        path = folder / PYTHON_VERSION_FILE
        if not path.is_file():
            continue
        for raw in path.read_text(errors="replace").splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            match = _VERSION_IN_REQUEST.search(line)
            if match is None:
                raise ConfigError(f"{path}: {line!r} names no CPython 3.X version; write e.g. 3.12")
            return match.group(0), path
        return None
    return None


def _venv_version(root: Path) -> tuple[str, Path] | None:
    """The Python of the project's .venv (its own, or its workspace's), from pyvenv.cfg."""
    for folder in _project_and_workspace(root):
        config = folder / ".venv" / "pyvenv.cfg"
        if config.is_file():
            fields = {}
            for line in config.read_text(errors="replace").splitlines():
                key, sep, value = line.partition("=")
                if sep:
                    fields[key.strip()] = value.strip()
            version = fields.get("version_info") or fields.get("version") or ""
            match = re.match(r"3\.\d+(\.\d+)?", version)
            return (match.group(0), config) if match else None
    return None


def _project_and_workspace(root: Path) -> list[Path]:
    """The project's folder, and the uv workspace root above it if it is a member: where uv
    keeps the environment. Nothing further up (another project's venv is not this one's)."""
    if (root / "uv.lock").is_file():
        return [root]
    workspace = workspace_root(root)
    return [root, workspace] if workspace is not None else [root]


# -- interpreters on this machine -------------------------------------------------------------


def interpreter_version(path: str, *, cpython: bool = True) -> str:
    """The full version of the Python at `path` ("3.13.0"), or "" if it does not run (or, with
    `cpython`, is another implementation: its bytecode is not CPython's)."""
    try:
        # Keyed by what the path points at now: a venv recreated on another Python is re-asked.
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return ""
    name, version = _interpreter_info(path, stamp)
    return version if name == "cpython" or not cpython else ""


@functools.cache
def _interpreter_info(path: str, stamp: int) -> tuple[str, str]:
    try:
        done = subprocess.run(
            [
                path,
                "-I",
                "-c",
                "import sys; print(sys.implementation.name, '%d.%d.%d' % sys.version_info[:3])",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "", ""
    name, _, version = done.stdout.strip().partition(" ")
    return (name, version) if done.returncode == 0 else ("", "")


def find_interpreter(version: str, root: Path | None = None) -> Path | None:
    """A CPython `version` (X.Y) on this machine: the app's .venv, this one, pyenv's, the
    system's, uv's; None if there is none. Used to compile bytecode the target will accept and
    to import artifacts as the target would."""
    for candidate in _candidates(version, root):
        if minor_of(interpreter_version(str(candidate)) or "0.0") == version:
            return candidate
    return None


def available_interpreters(root: Path | None = None) -> list[tuple[str, Path]]:
    """Every CPython minor version this machine has, newest first, with the interpreter
    `find_interpreter` would use for it (doctor parses newer-grammar files with these)."""
    found = []
    for version in sorted(_KNOWN_MINORS, key=_key, reverse=True):
        interpreter = find_interpreter(version, root)
        if interpreter is not None:
            found.append((version, interpreter))
    return found


def _candidates(version: str, root: Path | None) -> Iterable[Path]:
    if root is not None:
        yield root / ".venv" / "bin" / "python"
    yield Path(sys.executable)
    pyenv = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    if pyenv.is_dir():
        # Real installs only: pyenv's shims fail unless that version is selected.
        names = [
            p.name for p in pyenv.iterdir() if re.fullmatch(rf"{re.escape(version)}\.\d+", p.name)
        ]
        for name in sorted(names, key=_key, reverse=True):
            yield pyenv / name / "bin" / "python"
    for folder in ("/usr/local/bin", "/usr/bin"):
        yield Path(folder) / f"python{version}"
    on_path = shutil.which(f"python{version}")
    if on_path:
        yield Path(on_path)
    if shutil.which("uv"):
        found = subprocess.run(
            ["uv", "python", "find", "--no-project", version],
            capture_output=True,
            text=True,
            check=False,
        )
        if found.returncode == 0 and found.stdout.strip():
            yield Path(found.stdout.strip())


def interpreter_within(project: ProjectPython) -> Path | None:
    """An interpreter requires-python allows, for uv commands that need one (`uv lock --check`,
    `uv export`): the project's own version first, then the oldest found. uv looks only on PATH
    and in its own store, where pyenv's shims hide real installs."""
    root = project.pyproject.parent
    wanted = [project.version] if project.version else []
    for version in [*wanted, *project.allowed(_KNOWN_MINORS)]:
        found = find_interpreter(version, root)
        if found is not None:
            return found
    return None


def check_interpreter(project: ProjectPython, interpreter: Path) -> str:
    """The interpreter's version, or a ConfigError if requires-python does not allow it."""
    version = interpreter_version(str(interpreter), cpython=False)
    if not version:
        raise ConfigError(
            f"{interpreter}: not a Python interpreter that runs; pass --python a working one or "
            "recreate the app's environment (uv sync)"
        )
    if not project.allows(version):
        raise ConfigError(
            f"{interpreter} is Python {version}, outside requires-python = {project.requires!r} "
            f"({project.pyproject}); recreate the environment: rm -rf .venv && uv sync --python "
            f"{project.fix_hint()}"
        )
    return version


# -- what targets offer -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class LambdaRuntime:
    identifier: str  # python3.12
    version: str  # 3.12
    os: str
    architectures: tuple[str, ...]
    deprecated: datetime.date
    block_update: datetime.date


@dataclasses.dataclass(frozen=True)
class DebianSuite:
    codename: str
    python: str  # the major.minor its python3 is
    status: str  # oldstable, stable, testing
    archive: tuple[str, ...]  # suites of the main archive: the release and its -updates
    security: str  # the security archive's suite; "" for testing


@dataclasses.dataclass(frozen=True)
class Choice:
    """A target's Python and why: `note` is set when it is not simply the project's version."""

    version: str
    note: str = ""


@dataclasses.dataclass(frozen=True)
class LambdaChoice(Choice):
    runtime: LambdaRuntime | None = None

    @property
    def identifier(self) -> str:
        assert self.runtime is not None
        return self.runtime.identifier


@dataclasses.dataclass(frozen=True)
class SuiteChoice(Choice):
    suite: DebianSuite | None = None


@functools.cache
def _data() -> dict[str, Any]:
    with DATA.open("rb") as fh:
        return tomllib.load(fh)


def lambda_runtimes() -> tuple[LambdaRuntime, ...]:
    return tuple(
        LambdaRuntime(
            r["identifier"],
            r["version"],
            r["os"],
            tuple(r["architectures"]),
            r["deprecated"],
            r["block_update"],
        )
        for r in _data()["lambda"]["runtimes"]
    )


def debian_suites() -> tuple[DebianSuite, ...]:
    return tuple(
        DebianSuite(s["codename"], s["python"], s["status"], tuple(s["archive"]), s["security"])
        for s in _data()["debian"]["suites"]
    )


def debian_suite(codename: str) -> DebianSuite:
    for suite in debian_suites():
        if suite.codename == codename:
            return suite
    names = ", ".join(f"{s.codename} ({s.python})" for s in debian_suites())
    raise ConfigError(f"Debian suite {codename!r}: aloft builds bases from {names}")


def container_versions() -> tuple[str, ...]:
    return tuple(_data()["container"]["versions"])


def _nearest(project: ProjectPython, allowed: Sequence[str]) -> str:
    """The allowed version nearest the project's: the next newer one first, else the older."""
    newer = sorted((v for v in allowed if _key(v) > _key(project.version)), key=_key)
    older = sorted((v for v in allowed if _key(v) < _key(project.version)), key=_key, reverse=True)
    return (newer or older)[0]


def _pick(project: ProjectPython, allowed: Sequence[str], order: Sequence[str]) -> tuple[str, bool]:
    """(version, substituted): the project's own if allowed, the nearest, else the first of
    `order` (the target's preference when the project names none)."""
    if project.version:
        if project.version in allowed:
            return project.version, False
        return _nearest(project, allowed), True
    return next(v for v in order if v in allowed), False


def lambda_runtime(
    project: ProjectPython,
    explicit: str = "",
    architecture: str = "x86_64",
    today: datetime.date | None = None,
) -> LambdaChoice:
    """The Lambda runtime for the project ([tool.aloft.lambda] python when set, validated)."""
    today = today or datetime.date.today()
    runtimes = {r.version: r for r in lambda_runtimes() if architecture in r.architectures}
    offered = ", ".join(r.identifier for r in runtimes.values())
    allowed = project.allowed(runtimes)
    if explicit:
        if explicit not in runtimes:
            raise ConfigError(
                f"{project.pyproject} [tool.aloft.lambda] python = {explicit!r}: Lambda has no "
                f"such runtime for {architecture}; use one of {offered}"
            )
        if explicit not in allowed:
            hint = f"set it to {' or '.join(allowed)}" if allowed else "widen requires-python"
            raise ConfigError(
                f"{project.pyproject} [tool.aloft.lambda] python = {explicit!r} contradicts "
                f"requires-python = {project.requires!r}; {hint}, or remove it"
            )
        version, substituted = explicit, False
    else:
        if not allowed:
            raise ConfigError(
                f"{project.describe()}: no Lambda Python runtime satisfies it (Lambda offers "
                f"{offered}); widen requires-python or deploy a container image (aloft build "
                "--target lambda)"
            )
        current = sorted((v for v in allowed if runtimes[v].deprecated > today), key=_key)
        retired = sorted((v for v in allowed if runtimes[v].deprecated <= today), key=_key)
        version, substituted = _pick(project, allowed, current + retired[::-1])
    runtime = runtimes[version]
    notes = []
    if substituted:
        notes.append(
            f"Lambda has no python{project.version} runtime (the project's, from "
            f"{project.source}); using {runtime.identifier}, which requires-python allows"
        )
    environment = _environment_note(project, version, "Lambda")
    if environment and not explicit:
        notes.append(environment)
    if runtime.deprecated <= today:
        newer = sorted((v for v in allowed if runtimes[v].deprecated > today), key=_key)
        move = f"; move to {runtimes[newer[0]].identifier}" if newer else ""
        notes.append(
            f"AWS deprecated {runtime.identifier} on {runtime.deprecated} and blocks function "
            f"updates from {runtime.block_update}{move}"
        )
    return LambdaChoice(version, "; ".join(notes), runtime)


def base_suite(
    project: ProjectPython, explicit: str = "", field: str = "python_version"
) -> SuiteChoice:
    """The Debian suite aloft's base is built from: its python3 satisfies requires-python.

    `explicit` is a wanted major.minor (`field` names where it was set, for errors). Without
    one, the project's version, else the oldest release that fits (its packages have the
    longest record); testing only when no release fits.
    """
    suites = {s.python: s for s in debian_suites()}
    offered = ", ".join(f"{s.codename} {s.python}" for s in suites.values())
    allowed = project.allowed(suites)
    if explicit:
        # A config field reads `[table] key = '3.12'`, a flag `--python 3.12`.
        asked = f"{field} {explicit}" if field.startswith("-") else f"{field} = {explicit!r}"
        if explicit not in suites:
            raise ConfigError(
                f"{asked}: no Debian suite ships Python {explicit} "
                f"(aloft builds bases from {offered}); pick one of those or set "
                "[tool.aloft.image] base to an image with that Python"
            )
        if explicit not in allowed:
            raise ConfigError(
                f"{asked} contradicts requires-python = "
                f"{project.requires!r} ({project.pyproject}); pick a version it allows"
            )
        version, substituted = explicit, False
    else:
        if not allowed:
            wanted = ""
            pinned = re.fullmatch(r"==\s*(3\.\d+)(\.\*)?", project.requires.replace(" ", ""))
            if pinned:
                wanted = f"no Debian suite ships Python {pinned.group(1)} "
            raise ConfigError(
                f"{project.describe()}: {wanted or 'no Debian suite ships a matching Python '}"
                f"(aloft builds bases from {offered}); widen requires-python (e.g. "
                f'">={_widen(project)}"), or set [tool.aloft.image] base to an image whose '
                "Python matches"
            )
        releases = sorted((v for v in allowed if suites[v].status != "testing"), key=_key)
        testing = sorted((v for v in allowed if suites[v].status == "testing"), key=_key)
        version, substituted = _pick(project, allowed, releases + testing)
    suite = suites[version]
    notes = []
    if substituted:
        notes.append(
            f"no Debian suite ships Python {project.version} (the project's, from "
            f"{project.source}); using {suite.codename}'s {suite.python}, which requires-python "
            "allows"
        )
    environment = _environment_note(project, version, "the image")
    if environment and not explicit:
        notes.append(environment)
    if suite.status == "testing":
        notes.append(
            f"{suite.codename} is Debian testing: it changes daily and has no security support"
        )
    return SuiteChoice(version, "; ".join(notes), suite)


def _widen(project: ProjectPython) -> str:
    """The lowest base Python at or above what requires-python asks for, for the hint."""
    floor = re.search(r"(3\.\d+)", project.requires)
    versions = sorted((s.python for s in debian_suites()), key=_key)
    if floor:
        for version in versions:
            if _key(version) >= _key(floor.group(1)):
                return version
    return versions[-1]


def container_python(project: ProjectPython, explicit: str = "") -> Choice:
    """The Python of the official `python:X.Y-slim` image `aloft dockerfile` starts from.

    `explicit` (`aloft dockerfile --python X.Y`) must satisfy requires-python; without it, the
    project's version, else the oldest supported image requires-python allows.
    """
    versions = container_versions()
    allowed = project.allowed(versions)
    if explicit:
        if not project.allows(explicit):
            raise ConfigError(
                f"--python {explicit} contradicts requires-python = {project.requires!r} "
                f"({project.pyproject}); pick a version it allows"
            )
        return Choice(explicit)
    if not allowed:
        raise ConfigError(
            f"{project.describe()}: no supported python:X.Y image matches (they are "
            f"{', '.join(versions)}); widen requires-python or pass --python X.Y"
        )
    version, substituted = _pick(project, allowed, sorted(allowed, key=_key))
    note = (
        f"no python:{project.version} image is supported; using python:{version}"
        if substituted
        else ""
    )
    return Choice(version, note)
