"""`aloft doctor` as users run it: exit codes, outputs, config, --fix and --diff."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from checkkit import write

from aloft.checks.doctor.engine import load_doctor_catalog

PRINTS = 'def handle(event):\n    print("got", event)\n'
PYPROJECT = """\
[project]
name = "svc"
version = "1"
dependencies = []

[tool.aloft]
app = "app:app"
"""


def aloft(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from aloft.cli import main; main()", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        check=False,
    )


def test_clean_project_exits_0(tmp_path: Path):
    write(tmp_path, {"app.py": "import logging\nlog = logging.getLogger(__name__)\n"})
    done = aloft("doctor", tmp_path)
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.strip()
        == "1 file checked, 0 findings (0 errors, 0 warnings, 0 infos). Score 100/100."
    )


def test_warning_fails_by_default_and_fail_on_error_lets_it_pass(tmp_path: Path):
    write(tmp_path, {"app.py": PRINTS})
    assert aloft("doctor", tmp_path).returncode == 1
    assert aloft("doctor", tmp_path, "--fail-on", "error").returncode == 0


def test_bad_usage_exits_2(tmp_path: Path):
    assert aloft("doctor", tmp_path / "missing").returncode == 2
    assert aloft("doctor", tmp_path, "--fail-on", "fatal").returncode == 2
    assert aloft("doctor", tmp_path, "--output", "xml").returncode == 2


def test_json_and_sarif_outputs_parse(tmp_path: Path):
    write(tmp_path, {"app.py": PRINTS})
    as_json = json.loads(aloft("doctor", tmp_path, "-o", "json").stdout)
    assert [f["rule"] for f in as_json["findings"]] == ["LOG001"]
    sarif = json.loads(aloft("doctor", tmp_path, "-o", "sarif").stdout)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["LOG001"]


def test_project_config_disables_rules_and_sets_fail_on(tmp_path: Path):
    write(
        tmp_path,
        {
            "pyproject.toml": PYPROJECT
            + '\n[tool.aloft.doctor]\ndisable = ["print-logging"]\nfail_on = "error"\n',
            "uv.lock": "",
            "app.py": PRINTS + "DEBUG = True\n",
        },
    )
    done = aloft("doctor", tmp_path, "-o", "json")
    assert [f["rule"] for f in json.loads(done.stdout)["findings"]] == ["CFG003"]
    assert done.returncode == 1


def test_project_config_changes_a_rule_severity(tmp_path: Path):
    write(
        tmp_path,
        {
            "pyproject.toml": PYPROJECT + '\n[tool.aloft.doctor]\nseverity = { LOG001 = "info" }\n',
            "uv.lock": "",
            "app.py": PRINTS,
        },
    )
    done = aloft("doctor", tmp_path, "-o", "json")
    assert [(f["rule"], f["severity"]) for f in json.loads(done.stdout)["findings"]] == [
        ("LOG001", "info")
    ]
    assert done.returncode == 0


def test_unknown_rule_in_config_is_one_line_error_exit_2(tmp_path: Path):
    write(
        tmp_path,
        {
            "pyproject.toml": PYPROJECT + '\n[tool.aloft.doctor]\ndisable = ["LOG01"]\n',
            "app.py": PRINTS,
        },
    )
    done = aloft("doctor", tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        "[tool.aloft.doctor] disable: unknown rule 'LOG01' (did you mean LOG001?)"
    )
    assert len(done.stderr.strip().splitlines()) == 1


def test_unknown_config_key_is_rejected(tmp_path: Path):
    write(
        tmp_path,
        {
            "pyproject.toml": PYPROJECT + '\n[tool.aloft.doctor]\nfail-on = "error"\n',
            "app.py": PRINTS,
        },
    )
    done = aloft("doctor", tmp_path)
    assert done.returncode == 2
    assert "unknown key" in done.stderr and "fail_on" in done.stderr


def test_diff_shows_the_fix_and_changes_nothing(tmp_path: Path):
    write(tmp_path, {"app.py": PRINTS})
    done = aloft("doctor", tmp_path, "--diff")
    assert '-    print("got", event)\n+    logger.info("%s %s", "got", event)' in done.stdout
    assert (tmp_path / "app.py").read_text() == PRINTS
    assert done.returncode == 1


def test_fix_shows_the_diff_writes_the_file_and_reports_what_is_left(tmp_path: Path):
    write(tmp_path, {"app.py": PRINTS})
    done = aloft("doctor", tmp_path, "--fix")
    assert done.stdout.startswith("--- a/app.py\n+++ b/app.py\n")
    assert (tmp_path / "app.py").read_text() == (
        "import logging\n\nlogger = logging.getLogger(__name__)\n\n\n"
        'def handle(event):\n    logger.info("%s %s", "got", event)\n'
    )
    assert "0 findings" in done.stdout
    assert done.returncode == 0


def test_list_rules_names_every_rule(tmp_path: Path):
    done = aloft("doctor", "--list-rules")
    assert done.returncode == 0
    assert len(done.stdout.splitlines()) == len(load_doctor_catalog().rules)
    assert done.stdout.splitlines()[0].startswith("SRC001  syntax-error")
