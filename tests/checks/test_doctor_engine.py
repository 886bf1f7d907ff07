"""The engine: bad input is reported per file without stopping, suppressions, config policy,
excludes."""

from __future__ import annotations

from pathlib import Path

from checkkit import write

from aloft.checks.doctor.engine import Doctor, DoctorOptions, excluded, load_doctor_catalog
from aloft.checks.findings import Severity
from aloft.checks.suppress import Policy

PRINTS = 'def handle(event):\n    print("got", event)\n'


def run(root: Path, options: DoctorOptions | None = None):
    return Doctor(root, options).run()


def test_syntax_error_is_a_finding_and_other_files_are_still_checked(tmp_path: Path):
    write(tmp_path, {"bad.py": "def f(:\n    pass\n", "good.py": PRINTS})
    report = run(tmp_path)
    assert [(f.rule, f.location.path, f.location.line) for f in report.findings] == [
        ("SRC001", "bad.py", 1),
        ("LOG001", "good.py", 2),
    ]
    assert report.findings[0].message.startswith("does not parse with Python 3.")


def test_binary_and_huge_files_are_skipped_with_a_note(tmp_path: Path):
    (tmp_path / "blob.py").write_bytes(b"x = 1\n\0\0\0binary")
    (tmp_path / "huge.py").write_text("x = 1\n" * 10)
    write(tmp_path, {"app.py": PRINTS})
    report = run(tmp_path, DoctorOptions(max_bytes=50))
    assert [(n.path, n.message) for n in report.notes] == [
        ("blob.py", "skipped: binary file"),
        ("huge.py", "skipped: 60 bytes is over the 50-byte limit"),
    ]
    assert [f.location.path for f in report.findings] == ["app.py"]
    assert report.files_checked == 1


def test_undecodable_file_is_skipped_with_a_note(tmp_path: Path):
    (tmp_path / "latin.py").write_bytes(b"name = '\xe9t\xe9'\n")
    report = run(tmp_path)
    assert [n.path for n in report.notes] == ["latin.py"]
    assert report.findings == []


def test_suppression_comment_silences_only_the_named_rule_on_its_line(tmp_path: Path):
    write(
        tmp_path,
        {
            "app.py": (
                "import time\n"
                "def handle(event):\n"
                '    print("got", event)  # aloft: ignore[LOG001] the CLI prints this on purpose\n'
                '    print("again")\n'
                '    print("x")  # aloft: ignore[CFG001] wrong rule\n'
            )
        },
    )
    report = run(tmp_path)
    assert [f.location.line for f in report.findings] == [4, 5]
    assert report.suppressed == 1
    assert report.notes == []


def test_suppression_accepts_rule_names_and_several_rules(tmp_path: Path):
    write(
        tmp_path,
        {"app.py": 'DEBUG = True; print("x")  # aloft: ignore[print-logging, CFG003] demo\n'},
    )
    report = run(tmp_path)
    assert report.findings == []
    assert report.suppressed == 2


def test_suppression_without_reason_applies_but_is_noted(tmp_path: Path):
    write(tmp_path, {"app.py": 'print("x")  # aloft: ignore[LOG001]\n'})
    report = run(tmp_path)
    assert report.findings == []
    assert [n.message for n in report.notes] == ["line 1: suppression of LOG001 gives no reason"]


def test_unknown_rule_in_suppression_is_noted_and_suppresses_nothing(tmp_path: Path):
    write(tmp_path, {"app.py": 'print("x")  # aloft: ignore[LOG999] typo\n'})
    report = run(tmp_path)
    assert [f.rule for f in report.findings] == ["LOG001"]
    assert [n.message for n in report.notes] == ["line 1: suppression names unknown rule 'LOG999'"]


def test_marker_inside_a_string_is_not_a_suppression(tmp_path: Path):
    write(tmp_path, {"app.py": 'print("# aloft: ignore[LOG001] not a comment")\n'})
    assert [f.rule for f in run(tmp_path).findings] == ["LOG001"]


def test_suppression_in_dockerfile_comment_line(tmp_path: Path):
    write(
        tmp_path,
        {"Dockerfile": "FROM python:latest  # aloft: ignore[CTR008] pinned by the CI base job\n"},
    )
    catalog = load_doctor_catalog()
    policy = Policy(disabled=frozenset(catalog.rules) - {"CTR008"})
    report = run(tmp_path, DoctorOptions(policy=policy))
    assert report.findings == []
    assert report.suppressed == 1


def test_policy_disables_rules_and_overrides_severity(tmp_path: Path):
    write(tmp_path, {"app.py": 'DEBUG = True\nprint("x")\n'})
    policy = Policy(disabled=frozenset({"CFG003"}), severities={"LOG001": Severity.ERROR})
    report = run(tmp_path, DoctorOptions(policy=policy))
    assert [(f.rule, f.severity) for f in report.findings] == [("LOG001", Severity.ERROR)]


def test_tests_migrations_and_virtualenvs_are_excluded_by_default(tmp_path: Path):
    write(
        tmp_path,
        {
            "tests/test_app.py": PRINTS,
            "app/tests/test_x.py": PRINTS,
            "app/migrations/0001_initial.py": PRINTS,
            "conftest.py": PRINTS,
            ".venv/lib/x.py": PRINTS,
            "env2/pyvenv.cfg": "",
            "env2/lib/y.py": PRINTS,
            "app/service.py": PRINTS,
        },
    )
    assert [f.location.path for f in run(tmp_path).findings] == ["app/service.py"]


def test_user_excludes_add_to_the_defaults():
    patterns = ("scripts/**", "**/generated_*.py", "legacy")
    assert excluded("scripts/a/b.py", patterns)
    assert excluded("pkg/generated_client.py", patterns)
    assert excluded("legacy/old.py", patterns)
    assert not excluded("pkg/legacy_adapter.py", patterns)
    assert not excluded("app.py", patterns)


def test_a_single_file_can_be_checked(tmp_path: Path):
    write(tmp_path, {"app.py": PRINTS, "other.py": PRINTS})
    report = run(tmp_path / "app.py")
    assert [f.location.path for f in report.findings] == ["app.py"]


def test_memory_stays_flat_no_source_is_kept_between_files(tmp_path: Path):
    write(tmp_path, {f"m{i}.py": "import os\nx = 1\n" for i in range(30)})
    doctor = Doctor(tmp_path)
    report = doctor.run()
    assert report.files_checked == 30
    assert not any(hasattr(v, "tree") for v in vars(doctor).values())
