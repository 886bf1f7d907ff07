"""`aloft dockerfile`: the equivalent multi-stage Dockerfile, clean under hadolint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from imagehelpers import aloft

REPO = Path(__file__).resolve().parents[2]
HADOLINT = str(Path(sys.executable).parent / "hadolint")


def test_generated_dockerfile_passes_hadolint_with_no_findings(tmp_path: Path) -> None:
    target = tmp_path / "Dockerfile"
    result = aloft(
        "dockerfile",
        "--project",
        str(REPO / "examples" / "fastapi"),
        "--file",
        str(target),
        cache=tmp_path / "cache",
    )
    assert result.returncode == 0, result.stderr
    lint = subprocess.run(
        [HADOLINT, "-f", "json", str(target)], check=False, capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout
    assert json.loads(lint.stdout or "[]") == []
    assert (tmp_path / ".dockerignore").read_text().startswith(".git")


def test_dockerfile_installs_locked_deps_before_copying_code_and_runs_non_root(
    tmp_path: Path,
) -> None:
    result = aloft(
        "dockerfile", "--project", str(REPO / "examples" / "fastapi"), cache=tmp_path / "cache"
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    froms = [n for n, line in enumerate(lines) if line.startswith("FROM ")]
    assert len(froms) == 2
    lock_copy = next(
        n for n, line in enumerate(lines) if line.startswith("COPY pyproject.toml uv.lock")
    )
    code_copy = next(n for n, line in enumerate(lines) if line.startswith("COPY . "))
    assert froms[0] < lock_copy < froms[1] < code_copy
    assert "USER 65532:65532" in lines
    healthcheck = next(n for n, line in enumerate(lines) if line.startswith("HEALTHCHECK"))
    assert "/healthz" in lines[healthcheck + 1]
    assert "    ALOFT_APP=shop.main:app \\" in lines
    assert lines[-1] == 'ENTRYPOINT ["python", "-m", "aloft.runtime", "serve"]'
