"""`aloft --help` lists every verb without importing any of them (the CLI's start-up budget)."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from aloft.cli import COMMANDS, cli
from testkit import ALOFT


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_verb_summary_is_its_commands_own_short_help(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    summary = click.Command(name, help=COMMANDS[name][1])
    for limit in (30, 45, 74, 200):
        assert summary.get_short_help_str(limit) == command.get_short_help_str(limit)


def test_help_lists_every_verb_as_click_would() -> None:
    done = subprocess.run([*ALOFT, "--help"], capture_output=True, text=True, check=True)
    commands = done.stdout.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in commands] == sorted(COMMANDS)
    assert "Lambda, Fargate and EKS" in done.stdout


def test_help_imports_no_verb_module_and_no_config_model() -> None:
    probe = (
        "import sys\n"
        "from aloft.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(('aloft', 'pydantic',"
        " 'yaml', 'rich')))), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(done.stderr.split())
    assert loaded == {"aloft", "aloft.cli", "aloft.cli._common", "aloft.exceptions"}, loaded
