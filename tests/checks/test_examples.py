"""The example apps are idiomatic, so doctor stays quiet; a broken copy fires every rule once."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from aloft.checks.doctor.configure import doctor_options
from aloft.checks.doctor.engine import Doctor, load_doctor_catalog

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
BROKEN = Path(__file__).with_name("broken")


def doctor(path: Path) -> Doctor:
    catalog = load_doctor_catalog()
    return Doctor(path, doctor_options(path, catalog), catalog)


@pytest.mark.parametrize("name", ["fastapi", "flask", "django"])
def test_example_app_has_zero_findings(name: str):
    report = doctor(EXAMPLES / name).run()
    assert report.files_checked >= 2
    assert [(f.rule, str(f.location)) for f in report.findings] == []
    assert report.notes == []


def test_broken_copy_of_the_fastapi_example_fires_every_rule_exactly_once(tmp_path: Path):
    project = tmp_path / "shop"
    shutil.copytree(
        EXAMPLES / "fastapi",
        project,
        ignore=shutil.ignore_patterns(".venv", "uv.lock", "__pycache__"),
    )
    shutil.copytree(BROKEN, project, dirs_exist_ok=True)
    # The config rules read the example's own pyproject.toml, with broken settings appended.
    tail = project / "pyproject-tail.toml"
    with (project / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n" + tail.read_text(encoding="utf-8"))
    tail.unlink()
    (project / "shop" / "typo.py").write_text("def broken(:\n    pass\n")
    report = doctor(project).run()
    counts = Counter(f.rule for f in report.findings)
    assert counts == Counter(list(load_doctor_catalog().rules))
