"""SRC001 and newer grammar: code written for 3.12-3.14 is analysed like any other, and only code
that a Python the project admits rejects is called broken."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from checkkit import write

from aloft.checks.doctor.engine import Doctor, DoctorOptions
from aloft.checks.doctor.grammar import Interpreter, admits, find_interpreters, lower
from aloft.checks.findings import Report

# The shape of the real case: a FastAPI service on 3.12 with PEP 695 generics and PEP 701
# f-strings, whose handler also blocks the loop (so we can see it was analysed).
PEP_695_701 = """
import time

from fastapi import FastAPI

app = FastAPI()
type Page[T] = list[T]


class Repo[T]:
    def first[U](self, items: list[U]) -> U:
        return items[0]


@app.get("/items/{name}")
async def item(name: str) -> dict[str, str]:
    time.sleep(0.1)
    return {"greeting": f"{"-".join([name, "x"])}"}
"""

# 3.14: PEP 758 unparenthesised except lists and PEP 750 t-strings.
PEP_758_750 = """
import time


async def fetch(url: str) -> str:
    try:
        time.sleep(1)
    except ValueError, TypeError:
        pass
    return t"{url}"
"""

BROKEN = "def f(:\n    pass\n"


def pyproject(requires: str) -> str:
    return f'[project]\nname = "svc"\nversion = "1"\nrequires-python = "{requires}"\n'


def run(root: Path, interpreters: tuple[Interpreter, ...] | None = None) -> Report:
    return Doctor(root, DoctorOptions(interpreters=interpreters)).run()


def rules_at(report: Report) -> list[tuple[str, str, int]]:
    return sorted((f.rule, f.location.path, f.location.line) for f in report.findings)


def newer_than_ours() -> tuple[Interpreter, ...]:
    return tuple(i for i in find_interpreters(Path.cwd()) if i.version >= (3, 12))


def test_312_syntax_is_analysed_with_a_newer_python_not_reported_broken(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": pyproject(">=3.12"), "app.py": PEP_695_701})
    newer = newer_than_ours()
    report = run(tmp_path, newer)
    assert not [f for f in report.findings if f.rule == "SRC001"]
    if newer or sys.version_info >= (3, 12):
        assert ("ASY001", "app.py", 16) in rules_at(report)
    else:  # a machine with no newer Python: listed as not analysed, as the next test shows
        assert [n.path for n in report.notes] == ["app.py"]


def test_314_syntax_is_lowered_and_analysed_without_a_314_interpreter(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": pyproject(">=3.14"), "client.py": PEP_758_750})
    report = run(tmp_path, ())
    assert rules_at(report) == [("ASY001", "client.py", 6)]


def test_without_an_admitted_python_the_file_is_listed_not_called_broken(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": pyproject(">=3.12"), "app.py": PEP_695_701})
    report = run(tmp_path, ())  # no interpreter but ours (3.11)
    assert not report.findings
    assert [(n.path, n.message.split(":")[0]) for n in report.notes] == [("app.py", "not analysed")]
    assert "requires-python '>=3.12'" in report.notes[0].message


def test_a_real_syntax_error_is_reported_naming_the_python_that_rejected_it(
    tmp_path: Path,
) -> None:
    write(tmp_path, {"pyproject.toml": pyproject(">=3.10"), "bad.py": BROKEN})
    report = run(tmp_path, newer_than_ours())  # 3.10 is admitted: any Python here judges it
    [finding] = report.findings
    assert (finding.rule, finding.location.line) == ("SRC001", 1)
    assert finding.message.startswith("does not parse with Python 3.")


def test_lowering_keeps_lines_and_leaves_valid_code_alone() -> None:
    assert lower("try:\n    x()\nexcept A, B:  # both\n    pass\n") == (
        "try:\n    x()\nexcept (A, B):  # both\n    pass\n"
    )
    assert lower("x = t'{a}' + rt'b'\n") == "x = f'{a}' + rf'b'\n"
    valid = "except (A, B) as e:\ns = 'it' 't'\n"
    assert lower(valid) == valid


@pytest.mark.parametrize(
    ("requires", "version", "expected"),
    [
        (">=3.12", (3, 11), False),
        (">=3.12", (3, 13), True),
        (">=3.10,<3.13", (3, 13), False),
        ("~=3.11", (3, 13), True),
        ("==3.12.*", (3, 12), True),
        ("==3.12.*", (3, 13), False),
        (">3.11", (3, 11), False),
        ("", (3, 9), True),
    ],
)
def test_requires_python_is_read_as_pip_reads_it(
    requires: str, version: tuple[int, int], expected: bool
) -> None:
    assert admits(requires, version) is expected
