"""Doctor on trees built to hurt it: it finishes, reports what it can, and says what it skipped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from checkkit import write


def doctor_json(root: Path, timeout: float = 60) -> dict[str, object]:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from aloft.cli import main; main()",
            "doctor",
            str(root),
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


def elif_chain(branches: int) -> str:
    lines = [
        "import time",
        "from fastapi import FastAPI",
        "app = FastAPI()",
        "@app.get('/n/{x}')",
        "async def pick(x: int) -> int:",
        "    if x == 0:",
        "        return 0",
    ]
    for i in range(1, branches):
        lines += [f"    elif x == {i}:", f"        return {i}"]
    lines += ["    else:", "        time.sleep(1)", "        return -1"]
    return "\n".join(lines) + "\n"


def test_a_thousand_branch_elif_chain_is_analysed_to_its_last_branch(tmp_path: Path) -> None:
    # Before the rules walked with explicit stacks this raised RecursionError and gave no report.
    (tmp_path / "app.py").write_text(elif_chain(1000), encoding="utf-8")
    report = doctor_json(tmp_path)
    findings = report["findings"]
    assert isinstance(findings, list)
    assert [(f["rule"], f["line"]) for f in findings if f["rule"] == "ASY001"] == [("ASY001", 2007)]


def test_a_fifo_named_like_source_is_skipped_with_a_note_not_waited_on(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": "print('hi')\n"})
    os.mkfifo(tmp_path / "pipe.py")
    os.mkfifo(tmp_path / "requirements.txt")
    report = doctor_json(tmp_path, timeout=30)
    notes = report["notes"]
    assert isinstance(notes, list)
    assert {
        "path": "pipe.py",
        "message": "skipped: not a regular file (a FIFO, socket or device)",
    } in notes
    assert [f["path"] for f in report["findings"]] == ["app.py"]  # type: ignore[union-attr]


def test_densely_importing_lambda_modules_finish_and_report_the_shortest_chain(
    tmp_path: Path,
) -> None:
    # Every module imports every other one: walking every import path is factorial in the module
    # count and never ended; visiting each module once is modules x imports.
    count = 40
    names = [f"m{i}" for i in range(count)]
    for name in names:
        imports = "".join(f"import {other}\n" for other in names if other != name)
        body = "def handler(event, context):\n    return 1\n"
        (tmp_path / f"{name}.py").write_text(imports + body, encoding="utf-8")
    (tmp_path / "m39.py").write_text("import pandas\n", encoding="utf-8")
    report = doctor_json(tmp_path, timeout=60)
    sls005 = [f for f in report["findings"] if f["rule"] == "SLS005"]  # type: ignore[union-attr]
    assert len(sls005) == count - 1
    by_path = {f["path"]: f["message"] for f in sls005}
    assert by_path["m0.py"] == "cold start imports pandas via m1 -> m39 -> pandas"


def test_expressions_too_deep_for_the_parser_are_noted_and_the_rest_is_checked(
    tmp_path: Path,
) -> None:
    (tmp_path / "attr.py").write_text("import os\nx = os" + ".a" * 3000 + "\n")
    (tmp_path / "binop.py").write_text("x = " + "+".join(["1"] * 20000) + "\n")
    (tmp_path / "app.py").write_text("print('hi')\n")
    report = doctor_json(tmp_path)
    assert [f["path"] for f in report["findings"]] == ["app.py"]  # type: ignore[union-attr]
    skipped = {n["path"] for n in report["notes"]}  # type: ignore[union-attr]
    assert skipped == {"attr.py", "binop.py"}
