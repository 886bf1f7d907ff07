"""examples/ci/github-actions.yml: the workflow users copy passes actionlint, calls aloft right."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from docblocks import REPO

from aloft.cli import cli

WORKFLOW = REPO / "examples" / "ci" / "github-actions.yml"
ACTIONLINT = Path(sys.executable).parent / "actionlint"
_SHELL_BREAKS = {">", ">>", "|", "&&", "||", ";", "2>", "<"}


def _actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    assert ACTIONLINT.is_file(), "actionlint is missing: uv sync --all-groups (dev group)"
    return subprocess.run(
        [str(ACTIONLINT), "-no-color", str(path)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _steps() -> list[dict[str, Any]]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def _aloft_commands() -> list[list[str]]:
    """Each `aloft ...` invocation of the run steps, cut at the first shell operator."""
    commands = []
    for step in _steps():
        for line in str(step.get("run", "")).splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] != ["aloft"]:
                continue
            end = next((i for i, w in enumerate(words) if w in _SHELL_BREAKS), len(words))
            commands.append(words[1:end])
    return commands


def test_the_workflow_passes_actionlint() -> None:
    done = _actionlint(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_rejects_a_broken_copy(tmp_path: Path) -> None:
    """The linter really reads the file: an undefined input of a known action fails it."""
    broken = tmp_path / "broken.yml"
    text = WORKFLOW.read_text(encoding="utf-8")
    broken.write_text(text.replace("name: manifests", "nmae: manifests", 1), encoding="utf-8")
    done = _actionlint(broken)
    assert done.returncode == 1
    assert 'input "nmae" is not defined' in done.stdout


def test_the_workflow_does_what_the_docs_promise() -> None:
    steps = _steps()
    uses = [str(step.get("uses", "")) for step in steps]
    runs = "\n".join(str(step.get("run", "")) for step in steps)
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert "aloft doctor --output sarif" in runs
    assert "aloft build --push" in runs
    assert "aloft k8s check" in runs
    assert "aloft lambda template" in runs


@pytest.mark.parametrize("args", _aloft_commands(), ids=lambda a: " ".join(a[:2]))
def test_each_aloft_command_parses_with_this_cli(args: list[str]) -> None:
    """A renamed command or flag breaks the example here, before a user's CI run."""
    command: click.Command = cli
    ctx = cli.make_context("aloft", [], resilient_parsing=True)
    rest = list(args)
    while isinstance(command, click.Group) and rest:
        sub = command.get_command(ctx, rest[0])
        assert sub is not None, f"aloft has no command {rest[0]!r}: {args}"
        command, name, rest = sub, rest[0], rest[1:]
        if isinstance(command, click.Group):
            ctx = click.Context(command, info_name=name, parent=ctx)
    command.make_context(" ".join(args), rest, parent=ctx)  # raises UsageError on a bad flag
