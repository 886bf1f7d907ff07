"""Every `aloft` command in the README's and the docs' syntax-only examples (those that cannot
run here: the runnable ones are run by test_docs_examples) parses with this CLI; and every
command has guide text, not only its generated reference."""

from __future__ import annotations

import re

import click
import pytest
from docblocks import REPO, SHELL, all_blocks, aloft_invocations

from aloft.cli import cli

COMMANDS = [
    pytest.param(args, id=f"{block.id}:{' '.join(args[:3])}")
    for block in all_blocks()
    if block.lang in SHELL and block.syntax_only is not None
    for args in aloft_invocations(block.shell_script())
]


def _parse(args: list[str]) -> None:
    """Resolve the subcommands, then let click parse the rest as a run would (a bad flag, a
    wrong choice or a missing value raises UsageError); nothing is invoked. A file the example
    names need not exist here (an earlier step or the user's machine makes it)."""
    ctx = cli.make_context("aloft", [], resilient_parsing=True)
    command: click.Command = cli
    rest = list(args)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.get_command(ctx, rest[0])
        assert sub is not None, f"aloft has no command {rest[0]!r}: aloft {' '.join(args)}"
        command, name, rest = sub, rest[0], rest[1:]
        if isinstance(command, click.Group):
            ctx = click.Context(command, info_name=name, parent=ctx)
    try:
        command.make_context(f"aloft {' '.join(args)}", rest, parent=ctx)
    except click.BadParameter as exc:
        a_missing_file = exc.param is not None and isinstance(exc.param.type, click.Path)
        if not (a_missing_file and "does not exist" in str(exc)):
            raise


@pytest.mark.parametrize("args", COMMANDS)
def test_each_documented_aloft_command_parses_with_this_cli(args: list[str]) -> None:
    """A renamed flag breaks an example here that `bash -n` alone would pass."""
    _parse(args)


def test_the_check_rejects_what_this_round_retired() -> None:
    """`-o` once named a folder in `k8s render` and a file in `lambda template`."""
    for retired in (["k8s", "render", "-o", "k8s/"], ["lambda", "template", "-o", "t.yaml"]):
        with pytest.raises(click.UsageError, match="--out"):
            _parse(retired)
    with pytest.raises(click.UsageError):
        _parse(["logs", "--follow", "--levle", "warning"])


def test_the_extractor_reads_commands_as_a_shell_would() -> None:
    script = (
        "ALOFT_NO_PROGRESS=1 aloft build --push r/x:1 2> build.log\n"
        "aloft k8s render \\\n    --out k8s/   # a comment\n"
        "aloft cost --rps 50 | grep cheapest\n"
        'eval "$(_ALOFT_COMPLETE=bash_source aloft)"\n'
        "COMP_CWORD=2 _ALOFT_COMPLETE=bash_complete aloft\n"
    )
    assert aloft_invocations(script) == [
        ["build", "--push", "r/x:1"],
        ["k8s", "render", "--out", "k8s/"],
        ["cost", "--rps", "50"],
    ]


def test_the_docs_name_enough_commands_to_mean_something() -> None:
    assert len(COMMANDS) >= 40


def _guide_text() -> str:
    pages = [p for p in (REPO / "docs").rglob("*.md") if "reference" not in p.parts]
    return "\n".join(p.read_text(encoding="utf-8") for p in pages)


def _all_commands(command: click.Command, name: str) -> list[str]:
    names = [name]
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=name)
        for sub_name in command.list_commands(ctx):
            sub = command.get_command(ctx, sub_name)
            if sub is not None and not sub.hidden:
                names += _all_commands(sub, f"{name} {sub_name}")
    return names


def test_every_command_has_guide_text_beyond_the_generated_reference() -> None:
    """The CLI reference documents itself; a new verb also needs a guide saying what it is for."""
    text = _guide_text()
    missing = [
        name
        for name in _all_commands(cli, "aloft")[1:]
        if not re.search(re.escape(name) + r"(?![\w-])", text)
    ]
    assert missing == []
