"""The project's Python and each target's choice: requires-python, .python-version and the venv
reconciled; the Lambda runtime, the Debian suite and the Dockerfile's image picked within it.

Projects are written fresh in a temp folder: pyproject.toml, optionally .python-version and a
.venv/pyvenv.cfg shaped as uv and `python -m venv` write them.
"""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

import pytest

from aloft import pythons
from aloft.exceptions import ConfigError
from aloft.pythons import ProjectPython

TODAY = datetime.date(2026, 12, 5)


def project(
    folder: Path,
    requires: str | None,
    pin: str | None = None,
    venv: str | None = None,
    venv_key: str = "version_info",
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    line = f'requires-python = "{requires}"\n' if requires is not None else ""
    (folder / "pyproject.toml").write_text(f'[project]\nname = "shop"\nversion = "1"\n{line}')
    if pin is not None:
        (folder / ".python-version").write_text(pin + "\n")
    if venv is not None:
        (folder / ".venv").mkdir()
        (folder / ".venv" / "pyvenv.cfg").write_text(
            f"home = /usr/bin\nimplementation = CPython\n{venv_key} = {venv}\n"
        )
    return folder / "pyproject.toml"


def spec(requires: str, version: str = "") -> ProjectPython:
    return ProjectPython(Path("/p/pyproject.toml"), requires, version, "/p/.python-version")


# -- reading the project ------------------------------------------------------------------------


def test_requires_python_alone_names_no_version(tmp_path: Path) -> None:
    found = pythons.project_python(project(tmp_path, ">=3.11"))
    assert (found.requires, found.version) == (">=3.11", "")


def test_python_version_file_names_the_project_version(tmp_path: Path) -> None:
    found = pythons.project_python(project(tmp_path, ">=3.10", pin="3.12.1"))
    assert found.version == "3.12"
    assert found.source.endswith(".python-version")


@pytest.mark.parametrize("pin", ["cpython@3.13", "cpython-3.13.0-linux-x86_64-gnu", "3.13t"])
def test_python_version_file_in_uv_request_forms(tmp_path: Path, pin: str) -> None:
    assert pythons.project_python(project(tmp_path, ">=3.10", pin=pin)).version == "3.13"


@pytest.mark.parametrize("key", ["version_info", "version"])
def test_venv_is_read_but_does_not_name_the_project_version(tmp_path: Path, key: str) -> None:
    found = pythons.project_python(project(tmp_path, ">=3.10", venv="3.11.7", venv_key=key))
    assert (found.version, found.environment) == ("", "3.11")
    assert found.environment_source.endswith("pyvenv.cfg")


def test_python_version_file_names_the_version_beside_a_stale_venv(tmp_path: Path) -> None:
    found = pythons.project_python(project(tmp_path, ">=3.10", pin="3.13", venv="3.11.7"))
    assert (found.version, found.environment) == ("3.13", "3.11")


def test_workspace_member_takes_the_workspace_pin_and_venv(tmp_path: Path) -> None:
    project(tmp_path, ">=3.10", venv="3.12.1")
    with (tmp_path / "pyproject.toml").open("a") as fh:
        fh.write('[tool.uv.workspace]\nmembers = ["packages/*"]\n')
    (tmp_path / "uv.lock").write_text("version = 1\n")
    member = project(tmp_path / "packages" / "api", ">=3.11")
    found = pythons.project_python(member)
    assert (found.requires, found.environment) == (">=3.11", "3.12")
    assert found.environment_source == str(tmp_path / ".venv" / "pyvenv.cfg")


def test_another_projects_venv_above_is_not_this_ones(tmp_path: Path) -> None:
    project(tmp_path, ">=3.10", venv="3.11.7")
    nested = project(tmp_path / "tools" / "shop", ">=3.12")
    assert pythons.project_python(nested).environment == ""


def test_python_version_outside_requires_python_is_one_line_naming_the_file(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError) as error:
        pythons.project_python(project(tmp_path, ">=3.12", pin="3.11"))
    message = str(error.value)
    assert "\n" not in message
    assert str(tmp_path / ".python-version") in message
    assert "Python 3.11 is outside requires-python = '>=3.12'" in message
    assert "e.g. 3.12" in message


def test_venv_outside_requires_python_is_one_line_naming_pyvenv_cfg(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        pythons.project_python(project(tmp_path, ">=3.12", venv="3.11.7"))
    message = str(error.value)
    assert "\n" not in message
    assert str(tmp_path / ".venv" / "pyvenv.cfg") in message
    assert "uv sync --python 3.12" in message


def test_unparseable_requires_python_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"requires-python = '>=three': not a version"):
        pythons.project_python(project(tmp_path, ">=three"))


@pytest.mark.parametrize(
    ("requires", "version", "allowed"),
    [
        ("", "3.9", True),
        (">=3.12", "3.11", False),
        (">=3.12", "3.13", True),
        (">=3.12.4", "3.12", True),  # some 3.12.x satisfies it
        (">=3.12.4", "3.12.1", False),  # this exact one does not
        ("==3.12.*", "3.13", False),
        ("~=3.11", "3.14", True),
        ("~=3.11.2", "3.12", False),
        (">=3.10,<3.13", "3.13", False),
        (">=3.10,!=3.11.*", "3.11", False),
        ("<3.12", "3.11.2", True),
        (">3.11", "3.11", True),  # 3.11.1 > 3.11
    ],
)
def test_requires_python_as_pep_440_reads_it(requires: str, version: str, allowed: bool) -> None:
    assert spec(requires).allows(version) is allowed


# -- Lambda -------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["3.11", "3.12", "3.13"])
def test_lambda_runtime_is_the_projects_own_python(version: str) -> None:
    choice = pythons.lambda_runtime(spec(">=3.10", version), today=TODAY)
    assert choice.identifier == f"python{version}"


def test_lambda_project_on_311_gets_python311_with_a_deprecation_note() -> None:
    choice = pythons.lambda_runtime(spec(">=3.10", "3.11"), today=TODAY)
    assert choice.identifier == "python3.11"
    assert "deprecated python3.11 on 2026-06-30" in choice.note
    assert "move to python3.12" in choice.note


@pytest.mark.parametrize(
    ("requires", "expected"),
    [
        ("", "python3.12"),  # the oldest runtime AWS still supports
        (">=3.10", "python3.12"),
        (">=3.13", "python3.13"),
        ("==3.14.*", "python3.14"),
        ("<3.12", "python3.11"),  # only retired ones fit: the newest of them
        (">=3.10,<3.13,!=3.12.*", "python3.11"),
    ],
)
def test_lambda_runtime_without_a_project_version(requires: str, expected: str) -> None:
    assert pythons.lambda_runtime(spec(requires), today=TODAY).identifier == expected


def test_lambda_runtime_ignores_an_unpinned_venv_but_says_so() -> None:
    """The venv is local state: the same commit gets the same runtime on every machine."""
    project = dataclasses.replace(
        spec(">=3.10"), environment="3.11", environment_source="/p/.venv/pyvenv.cfg"
    )
    choice = pythons.lambda_runtime(project, today=TODAY)
    assert choice.identifier == "python3.12"
    assert "the app's environment (/p/.venv/pyvenv.cfg) is Python 3.11" in choice.note
    assert "uv python pin" in choice.note


def test_lambda_runtime_for_a_version_lambda_lacks_is_the_nearest_allowed_with_a_note() -> None:
    choice = pythons.lambda_runtime(spec(">=3.10", "3.15"), today=TODAY)
    assert choice.identifier == "python3.14"
    assert "no python3.15 runtime" in choice.note


def test_lambda_explicit_python_is_validated_against_requires_python() -> None:
    with pytest.raises(ConfigError) as error:
        pythons.lambda_runtime(spec(">=3.12"), explicit="3.11", today=TODAY)
    message = str(error.value)
    assert "[tool.aloft.lambda] python = '3.11' contradicts requires-python = '>=3.12'" in message
    assert "\n" not in message


def test_lambda_explicit_python_wins_over_the_project_version() -> None:
    choice = pythons.lambda_runtime(spec(">=3.10", "3.11"), explicit="3.13", today=TODAY)
    assert (choice.identifier, choice.note) == ("python3.13", "")


def test_lambda_explicit_python_must_be_a_lambda_runtime() -> None:
    with pytest.raises(ConfigError, match="Lambda has no such runtime"):
        pythons.lambda_runtime(spec(""), explicit="3.8", today=TODAY)


def test_lambda_nothing_satisfies_requires_python() -> None:
    with pytest.raises(ConfigError, match="no Lambda Python runtime satisfies it"):
        pythons.lambda_runtime(spec(">=3.16"), today=TODAY)


def test_every_lambda_runtime_offers_both_architectures() -> None:
    for runtime in pythons.lambda_runtimes():
        assert set(runtime.architectures) == {"x86_64", "arm64"}
        assert runtime.identifier == f"python{runtime.version}"


# -- the image's Debian suite -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requires", "version", "suite"),
    [
        ("", "", "bookworm"),
        (">=3.10", "", "bookworm"),
        (">=3.12", "", "trixie"),
        (">=3.11", "3.13", "trixie"),
        (">=3.10", "3.11", "bookworm"),
        ("==3.13.*", "", "trixie"),
        (">=3.14", "", "forky"),
        (">=3.10,<3.12", "", "bookworm"),
    ],
)
def test_base_suite_satisfies_requires_python(requires: str, version: str, suite: str) -> None:
    choice = pythons.base_suite(spec(requires, version))
    assert choice.suite is not None
    assert choice.suite.codename == suite
    assert spec(requires).allows(choice.suite.python)


def test_base_suite_for_a_project_on_312_is_trixie_with_a_note() -> None:
    choice = pythons.base_suite(spec(">=3.10", "3.12"))
    assert choice.suite is not None and choice.suite.codename == "trixie"
    assert "no Debian suite ships Python 3.12" in choice.note


def test_base_suite_refuses_312_only_in_one_line_naming_the_fix() -> None:
    with pytest.raises(ConfigError) as error:
        pythons.base_suite(spec("==3.12.*"))
    message = str(error.value)
    assert "\n" not in message
    assert "requires-python = '==3.12.*': no Debian suite ships Python 3.12" in message
    assert "[tool.aloft.image] base" in message


def test_base_suite_testing_comes_with_a_note() -> None:
    assert "Debian testing" in pythons.base_suite(spec(">=3.14")).note


def test_base_suite_explicit_version_is_validated() -> None:
    choice = pythons.base_suite(spec(">=3.10"), explicit="3.13")
    assert choice.suite is not None and choice.suite.codename == "trixie"
    with pytest.raises(ConfigError, match="contradicts requires-python"):
        pythons.base_suite(spec(">=3.12"), explicit="3.11", field="--python")
    with pytest.raises(ConfigError, match=r"no Debian suite ships Python 3\.12"):
        pythons.base_suite(spec(""), explicit="3.12", field="--python")


def test_debian_suite_by_name_and_unknown_names() -> None:
    assert pythons.debian_suite("trixie").python == "3.13"
    with pytest.raises(ConfigError, match="bookworm"):
        pythons.debian_suite("jessie")


# -- the Dockerfile's python image ------------------------------------------------------------


@pytest.mark.parametrize(
    ("requires", "version", "expected"),
    [
        (">=3.10", "", "3.11"),
        (">=3.10", "3.12", "3.12"),
        (">=3.12", "", "3.12"),
        ("", "3.10", "3.11"),
    ],
)
def test_container_python(requires: str, version: str, expected: str) -> None:
    assert pythons.container_python(spec(requires, version)).version == expected


# -- interpreters on this machine -------------------------------------------------------------


def test_find_interpreter_returns_a_cpython_of_that_version() -> None:
    for version in ("3.11", "3.13"):
        found = pythons.find_interpreter(version)
        assert found is not None, version
        assert pythons.interpreter_version(str(found)).startswith(version + ".")


def test_find_interpreter_prefers_the_apps_venv(tmp_path: Path) -> None:
    import subprocess

    python = pythons.find_interpreter("3.13")
    assert python is not None
    subprocess.run(
        [str(python), "-m", "venv", "--without-pip", str(tmp_path / ".venv")], check=True
    )
    assert pythons.find_interpreter("3.13", tmp_path) == tmp_path / ".venv" / "bin" / "python"


def test_find_interpreter_none_for_a_version_this_machine_lacks() -> None:
    assert pythons.find_interpreter("3.99") is None


def test_check_interpreter_rejects_a_python_outside_requires_python(tmp_path: Path) -> None:
    python = pythons.find_interpreter("3.11")
    assert python is not None
    assert pythons.check_interpreter(spec(">=3.10"), python).startswith("3.11.")
    with pytest.raises(ConfigError, match=r"is Python 3\.11\.\d+, outside requires-python"):
        pythons.check_interpreter(spec(">=3.12"), python)


def test_container_python_explicit_is_validated() -> None:
    assert pythons.container_python(spec(">=3.10"), explicit="3.12").version == "3.12"
    with pytest.raises(ConfigError, match=r"--python 3\.11 contradicts requires-python"):
        pythons.container_python(spec(">=3.12"), explicit="3.11")


def test_interpreter_within_requires_python(tmp_path: Path) -> None:
    found = pythons.interpreter_within(pythons.project_python(project(tmp_path, ">=3.12,<3.13")))
    assert found is not None
    assert pythons.interpreter_version(str(found)).startswith("3.12.")
    assert pythons.interpreter_within(spec(">=3.99")) is None
