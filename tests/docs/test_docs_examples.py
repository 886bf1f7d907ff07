"""Every shell, Python and TOML example in README.md and docs/ runs (or, where marked, parses).

Shell blocks run with `bash -euo pipefail` in a fresh copy of a project made as the README says
(`uv init`, the app, `aloft init`), with this checkout's `aloft` first on PATH. Python blocks run
in a subprocess in such a folder. TOML blocks that configure aloft are loaded by the config
loader, so an example with a wrong key or type fails here before a user copies it. A block that
cannot run on this machine (AWS, a registry login, a cluster, the package index) carries
`<!-- docs: syntax-only REASON -->` and is only parsed (`bash -n`, `compile`, `tomllib`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
import yaml
from docblocks import PYTHON, REPO, SHELL, TOML, Block, all_blocks, documents

from aloft.config.loader import load_config

BLOCKS = all_blocks()
RUN_TIMEOUT = 60.0
APP = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/")
def index() -> dict[str, str]:
    return {"hello": "world"}
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALOFT_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    return env


@pytest.fixture(scope="session")
def template_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new project made the README's way: `uv init`, the app, `aloft init`, `uv lock`."""
    project = tmp_path_factory.mktemp("docs-template") / "shop"
    project.mkdir()
    env = _env()
    for command in (
        ["uv", "init", "--quiet", "--bare", "--name", "shop", "--vcs", "none"],
        # The runtime is not on the package index yet; the examples need only its config.
        ["aloft", "init", "--no-add"],
        ["uv", "lock", "--quiet", "--offline"],
    ):
        if command[1] == "init" and command[0] == "aloft":
            (project / "shop").mkdir()
            (project / "shop" / "__init__.py").write_text("")
            (project / "shop" / "main.py").write_text(APP)
        done = subprocess.run(
            command, check=False, cwd=project, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    return project


@pytest.fixture
def project(template_project: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "shop"
    shutil.copytree(template_project, copy)
    return copy


def _ids(kinds: frozenset[str]) -> list[object]:
    return [pytest.param(b, id=b.id) for b in BLOCKS if b.lang in kinds]


@pytest.mark.parametrize("block", _ids(SHELL))
def test_shell_example(block: Block, project: Path) -> None:
    script = block.shell_script()
    syntax = subprocess.run(
        ["bash", "-n"], check=False, input=script, capture_output=True, text=True
    )
    assert syntax.returncode == 0, f"{block.id}: not valid bash: {syntax.stderr}"
    if block.syntax_only is not None:
        return
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        check=False,
        cwd=project,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, (
        f"{block.id} failed (exit {done.returncode}):\n{script}\n"
        f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
    )


@pytest.mark.parametrize("block", _ids(PYTHON))
def test_python_example(block: Block, project: Path) -> None:
    compile(block.code, block.id, "exec")
    if block.syntax_only is not None:
        return
    done = subprocess.run(
        [sys.executable, "-c", block.code],
        check=False,
        cwd=project,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, (
        f"{block.id} failed (exit {done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
    )


@pytest.mark.parametrize("block", _ids(TOML))
def test_toml_example(block: Block, tmp_path: Path) -> None:
    document = tomllib.loads(block.code)
    if block.syntax_only is not None or "aloft" not in document.get("tool", {}):
        return
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "shop"\n\n' + block.code, encoding="utf-8")
    load_config(pyproject, environ={})  # raises ConfigError naming the bad key


@pytest.mark.parametrize("block", _ids(frozenset({"yaml", "yml", "json"})))
def test_data_example_parses(block: Block) -> None:
    if block.lang == "json":
        for line in block.code.splitlines():  # one object per line, as the logs are
            if line.strip():
                json.loads(line)
    elif "--8<--" not in block.code:  # an included file is checked where it lives
        list(yaml.safe_load_all(block.code))


def test_every_block_names_its_language_so_none_escapes_the_runner() -> None:
    unnamed = [b.id for b in BLOCKS if not b.lang]
    assert unnamed == []


def test_every_syntax_only_marker_gives_its_reason() -> None:
    silent = [b.id for b in BLOCKS if b.syntax_only == ""]
    assert silent == []


def test_the_runner_finds_the_examples_it_promises() -> None:
    """A broken extractor would pass every example by finding none."""
    names = {p.name for p in documents()}
    assert {"README.md", "index.md", "local.md", "kubernetes.md", "lambda.md"} <= names
    runnable = [b for b in BLOCKS if b.lang in SHELL | PYTHON and b.syntax_only is None]
    assert len(runnable) >= 10
    assert any(b.path.name == "README.md" for b in BLOCKS if b.lang in SHELL)


def test_every_test_a_syntax_only_marker_names_exists() -> None:
    """A reason such as "tests/kube deploys to a real cluster" points the reader somewhere real."""
    named = {
        (b.id, path)
        for b in BLOCKS
        if b.syntax_only
        for path in re.findall(r"\btests/[\w/.]*\w", b.syntax_only)
    }
    assert len(named) >= 10
    missing = sorted((block, path) for block, path in named if not (REPO / path).exists())
    assert missing == []
