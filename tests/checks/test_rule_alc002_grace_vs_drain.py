"""ALC002: a termination_grace that does not cover the runtime's drain, from the real config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from checkkit import marked, write

from aloft.checks.doctor.configure import doctor_options
from aloft.checks.doctor.engine import Doctor, load_doctor_catalog
from aloft.checks.findings import Report
from aloft.checks.reporters import render_json
from aloft.config import load_config
from aloft.config.shutdown import shutdown
from aloft.exceptions import ConfigError
from aloft.kube.spec import service_specs
from aloft.kube.versions import KubeVersion

APP = 'def app(environ, start_response):\n    return [b""]\n'
BODY_20 = "\n[tool.aloft.kubernetes]\ntermination_grace = 20  # <-\n"
IMAGE = "registry.example/shop@sha256:" + "a" * 64


def pyproject(body: str) -> str:
    return f'[project]\nname = "shop"\n\n[tool.aloft]\napp = "app:app"\n{body}'


def run(root: Path, body: str) -> Report:
    write(root, {"pyproject.toml": pyproject(body), "app.py": APP})
    catalog = load_doctor_catalog()
    return Doctor(root, doctor_options(root, catalog), catalog).run()


def expected(body: str, path: str = "pyproject.toml") -> list[tuple[str, int]]:
    """Where the `# <-` markers of `body` sit in the pyproject.toml `run` writes."""
    return [(path, line) for _, line in marked(pyproject(body))]


def alc002(report: Report) -> list[tuple[str, int]]:
    return [(f.location.path, f.location.line) for f in report.findings if f.rule == "ALC002"]


@pytest.fixture(autouse=True)
def _no_aloft_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALOFT_ENV", raising=False)
    monkeypatch.delenv("ALOFT_DRAIN_TIMEOUT", raising=False)


def test_grace_below_the_drain_is_reported_on_its_line(tmp_path: Path):
    body = '\n[tool.aloft.kubernetes]\nnamespace = "shop"\ntermination_grace = 20  # <-\n'
    report = run(tmp_path, body)
    assert alc002(report) == expected(body)
    message = report.findings[0].message
    assert "termination_grace = 20" in message
    assert "drain_delay = 5" in message and "drain_timeout = 20" in message
    assert "use at least 26" in message


def test_grace_equal_to_the_drain_is_still_too_short(tmp_path: Path):
    body = (
        "drain_delay = 2\ndrain_timeout = 8\n"
        "\n[tool.aloft.kubernetes]\ntermination_grace = 10  # <-\n"
    )
    assert alc002(run(tmp_path, body)) == expected(body)


def test_grace_above_the_drain_stays_quiet(tmp_path: Path):
    body = "drain_delay = 2\ndrain_timeout = 8\n\n[tool.aloft.kubernetes]\ntermination_grace = 11\n"
    assert alc002(run(tmp_path, body)) == []


def test_unset_grace_is_derived_by_the_renderer_and_stays_quiet(tmp_path: Path):
    assert alc002(run(tmp_path, "drain_timeout = 600\n")) == []


def test_each_service_is_checked_at_its_own_table(tmp_path: Path):
    body = (
        "\n[tool.aloft.kubernetes]\ntermination_grace = 60\n"
        '\n[tool.aloft.kubernetes.services.worker]\napp = "app:app"\ntermination_grace = 3  # <-\n'
    )
    assert alc002(run(tmp_path, body)) == expected(body)


def test_an_environment_overlay_is_pointed_at_in_its_own_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    body = (
        "\n[tool.aloft.kubernetes]\ntermination_grace = 60\n"
        "\n[tool.aloft.environments.prod.kubernetes]\ntermination_grace = 12  # <-\n"
    )
    assert alc002(run(tmp_path, body)) == []
    monkeypatch.setenv("ALOFT_ENV", "prod")
    report = run(tmp_path, body)
    assert alc002(report) == expected(body)
    assert "[tool.aloft.environments.prod.kubernetes]" in report.findings[0].message


def test_a_drain_set_by_the_environment_is_named_in_the_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("ALOFT_DRAIN_TIMEOUT", "40")
    body = "\n[tool.aloft.kubernetes]\ntermination_grace = 30  # <-\n"
    report = run(tmp_path, body)
    assert alc002(report) == expected(body)
    assert "environment ALOFT_DRAIN_TIMEOUT" in report.findings[0].message


@pytest.mark.parametrize("grace", [24, 25, 26, 40])
def test_doctor_flags_exactly_what_the_renderer_refuses(tmp_path: Path, grace: int):
    """Doctor says before `aloft k8s render` what the renderer would refuse, and nothing else."""
    report = run(tmp_path, f"\n[tool.aloft.kubernetes]\ntermination_grace = {grace}\n")
    try:
        service_specs(load_config(tmp_path), IMAGE, KubeVersion.latest())
        refused = False
    except ConfigError:
        refused = True
    assert bool(alc002(report)) is refused
    assert refused is shutdown(grace, drain_delay=5.0, drain_timeout=20.0).overruns


def test_a_comment_on_the_line_suppresses_it(tmp_path: Path):
    body = (
        "\n[tool.aloft.kubernetes]\ntermination_grace = 20  # aloft: ignore[ALC002] demo cluster\n"
    )
    report = run(tmp_path, body)
    assert alc002(report) == []
    assert report.suppressed == 1
    assert report.notes == []


def test_doctor_config_can_disable_it(tmp_path: Path):
    body = (
        "\n[tool.aloft.kubernetes]\ntermination_grace = 20\n"
        '\n[tool.aloft.doctor]\ndisable = ["grace-shorter-than-drain"]\n'
    )
    assert alc002(run(tmp_path, body)) == []


def test_json_output_points_at_the_pyproject_line(tmp_path: Path):
    body = "\n[tool.aloft.kubernetes]\ntermination_grace = 20  # <-\n"
    data = json.loads(render_json(run(tmp_path, body)))
    [finding] = [f for f in data["findings"] if f["rule"] == "ALC002"]
    [(path, line)] = expected(body)
    assert (finding["path"], finding["line"], finding["severity"]) == (path, line, "error")
    assert finding["name"] == "grace-shorter-than-drain"


def test_a_subfolder_check_still_reads_the_project_config(tmp_path: Path):
    write(
        tmp_path,
        {
            "pyproject.toml": pyproject(BODY_20),
            "src/app.py": APP,
        },
    )
    catalog = load_doctor_catalog()
    sub = tmp_path / "src"
    report = Doctor(sub, doctor_options(sub, catalog), catalog).run()
    assert alc002(report) == expected(BODY_20, "../pyproject.toml")


def test_a_folder_without_aloft_config_stays_quiet(tmp_path: Path):
    write(tmp_path, {"pyproject.toml": '[project]\nname = "x"\n', "app.py": APP})
    catalog = load_doctor_catalog()
    report = Doctor(tmp_path, doctor_options(tmp_path, catalog), catalog).run()
    assert alc002(report) == []
