"""One meaning per flag: -o/--output is the format in every verb; files and folders are --out or
--file; an old `-o PATH` is an error that names the new flag, never a silent change of meaning."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import yaml

from aloft.cli import cli
from testkit import ALOFT, EXAMPLES

IMAGE = "registry.example/shop@sha256:" + "a" * 64


def walk(
    command: click.Command, path: tuple[str, ...] = ("aloft",)
) -> Iterator[tuple[str, click.Command]]:
    yield " ".join(path), command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None
            yield from walk(sub, (*path, name))


def leaves(command: click.Command) -> Iterator[tuple[str, click.Command]]:
    return ((n, c) for n, c in walk(command) if not isinstance(c, click.Group))


def test_dash_o_is_the_output_format_wherever_it_is_offered() -> None:
    seen = 0
    for name, command in walk(cli):
        for param in command.params:
            if "-o" in param.opts and not getattr(param, "hidden", False):
                seen += 1
                assert param.name == "output" and "--output" in param.opts, name
                assert isinstance(param.type, click.Choice), name
                assert set(param.type.choices) <= {"text", "json", "sarif", "yaml"}, name
            if {"--out", "--file"} & set(param.opts):
                assert not {"-o", "--output"} & set(param.opts), name
    assert seen >= 15


def test_every_verb_with_a_result_offers_json() -> None:
    lacking = [
        name
        for name, command in leaves(cli)
        if not any(
            p.name == "output" and isinstance(p.type, click.Choice) and "json" in p.type.choices
            for p in command.params
        )
    ]
    # These print a stream (logs, a server) or a file's text, not a result a script parses.
    assert sorted(lacking) == [
        "aloft dockerfile",
        "aloft init",
        "aloft lambda serve",
        "aloft lambda template",
        "aloft run",
    ]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ALOFT, *args], capture_output=True, text=True, cwd=cwd, check=False)


@pytest.mark.parametrize(
    ("args", "fix"),
    [
        (("k8s", "render", "-o", "out"), "use --out out"),
        (("lambda", "template", "-o", "template.yaml"), "use --out template.yaml"),
        (("cost", "catalog", "import", "-o", "prices.toml", "x.json"), "use --out prices.toml"),
    ],
)
def test_old_dash_o_path_is_an_error_naming_the_new_flag(
    args: tuple[str, ...], fix: str, tmp_path: Path
) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    (project / "pyproject.toml").write_text((EXAMPLES / "fastapi" / "pyproject.toml").read_text())
    done = run(*args, cwd=project)
    assert done.returncode == 2
    error = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and "-o is the output format now" in error[0] and fix in error[0]
    assert done.stdout == ""
    assert sorted(p.name for p in project.iterdir()) == ["pyproject.toml"]


def test_render_json_is_one_list_of_the_same_objects_as_the_yaml() -> None:
    project = EXAMPLES / "fastapi"
    as_yaml = run("k8s", "render", "--image", IMAGE, cwd=project)
    as_json = run("k8s", "render", "--image", IMAGE, "-o", "json", cwd=project)
    assert as_yaml.returncode == 0 and as_json.returncode == 0, as_json.stderr
    listed = json.loads(as_json.stdout)
    assert listed["apiVersion"] == "v1" and listed["kind"] == "List"
    assert listed["items"] == [doc for doc in yaml.safe_load_all(as_yaml.stdout) if doc]
