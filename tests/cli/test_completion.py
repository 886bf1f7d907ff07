"""Shell completion through click's standard recipe, in a real bash with the script sourced."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from aloft.cli import COMMANDS, cli

BASH = shutil.which("bash")
# The recipe the README gives, then one completion request as bash makes it on <TAB>.
SCRIPT = """
eval "$(_ALOFT_COMPLETE=bash_source aloft)"
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
_aloft_completion aloft
printf '%s\\n' "${COMPREPLY[@]}"
"""


def complete(*words: str, cwd: Path) -> list[str]:
    assert BASH, "bash is needed to test its completion"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        [BASH, "--norc", "-c", SCRIPT, "bash", *words],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=True,
        timeout=60,
    )
    return [line for line in done.stdout.splitlines() if line]


def test_verbs_complete(tmp_path: Path) -> None:
    assert complete("aloft", "", cwd=tmp_path) == sorted(COMMANDS)
    assert complete("aloft", "co", cwd=tmp_path) == ["config", "cost"]


def test_subcommands_complete(tmp_path: Path) -> None:
    k8s = cli.get_command(click.Context(cli), "k8s")
    assert isinstance(k8s, click.Group)
    listed = k8s.list_commands(click.Context(k8s))
    assert {"check", "deploy", "render"} <= set(listed)
    assert complete("aloft", "k8s", "", cwd=tmp_path) == listed
    assert complete("aloft", "lambda", "t", cwd=tmp_path) == ["template"]


def test_options_and_their_choices_complete(tmp_path: Path) -> None:
    assert complete("aloft", "k8s", "render", "--ou", cwd=tmp_path) == ["--out", "--output"]
    assert complete("aloft", "k8s", "render", "-o", "", cwd=tmp_path) == ["yaml", "json"]
    assert complete("aloft", "doctor", "--output", "s", cwd=tmp_path) == ["sarif"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_each_shell_gets_a_script_naming_aloft(shell: str) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "aloft")],
        capture_output=True,
        text=True,
        env={**os.environ, "_ALOFT_COMPLETE": f"{shell}_source"},
        check=True,
    )
    assert "_ALOFT_COMPLETE" in done.stdout and "aloft" in done.stdout
