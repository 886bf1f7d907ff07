"""`aloft lambda rollback` on moto server: the alias goes back to the version it served before,
or to a named one, and a gradual release caught mid-way ends on the old version."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from aloft.exceptions import OperationFailed
from aloft.serverless.deploy import deploy
from aloft.serverless.package import write_zip
from aloft.serverless.rollback import rollback
from lambdakit import deployable, record_errors

PROJECT = """
[project]
name = "{name}"

[tool.aloft]
app = "orders.main:app"

[tool.aloft.lambda.functions.api]
events = [{{ type = "function_url" }}]
"""


def _aloft(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("aloft")),
            "lambda",
            "rollback",
            "--project",
            str(project),
            *args,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=60,
        check=False,
    )


def _deploy_twice(tmp_path: Path, name: str) -> Any:
    """Version 1, then version 2 with other code: the alias serves 2."""
    stack, function_zip, layer_zip = deployable(tmp_path, PROJECT.format(name=name))
    deploy(stack, function_zip, layer_zip)
    (tmp_path / "code" / "handler.py").write_text("def handler(event, context):\n    return 2\n")
    second = write_zip(tmp_path / "code", tmp_path / "function2.zip").path
    result = deploy(stack, second, layer_zip)
    assert result.versions == {f"{name}-api": "2"}
    return stack


def _alias(name: str) -> dict[str, Any]:
    alias: dict[str, Any] = boto3.client("lambda").get_alias(FunctionName=name, Name="live")
    return alias


def test_rollback_returns_the_alias_to_the_previous_version_then_forward_with_to(
    aws_env: str, tmp_path: Path
) -> None:
    _deploy_twice(tmp_path, "rb-a")
    back = _aloft(tmp_path)
    assert back.returncode == 0, back.stderr
    assert back.stdout == "rb-a-api: alias live v2 -> v1\n"
    assert _alias("rb-a-api")["FunctionVersion"] == "1"
    code = boto3.client("lambda").get_function(FunctionName="rb-a-api", Qualifier="live")
    assert code["Configuration"]["Version"] == "1"

    forward = _aloft(tmp_path, "--to", "2", "--output", "json")
    assert forward.returncode == 0, forward.stderr
    report = json.loads(forward.stdout)
    assert report["functions"] == [
        {
            "function": "rb-a-api",
            "alias": "live",
            "from": "1",
            "to": "2",
            "dropped_weights": {},
            "changed": True,
        }
    ]
    assert _alias("rb-a-api")["FunctionVersion"] == "2"


def test_rollback_ends_a_gradual_release_caught_mid_way(aws_env: str, tmp_path: Path) -> None:
    _deploy_twice(tmp_path, "rb-b")
    lam = boto3.client("lambda")
    # What deploy leaves while shifting traffic: the alias on 1, a share of it weighted to 2.
    lam.update_alias(
        FunctionName="rb-b-api",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}},
    )
    result = _aloft(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "rb-b-api: alias live v1 + v2 at 30% -> v1\n"
    alias = _alias("rb-b-api")
    assert alias["FunctionVersion"] == "1"
    assert not (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights")


def test_dry_run_changes_nothing(aws_env: str, tmp_path: Path) -> None:
    _deploy_twice(tmp_path, "rb-c")
    result = _aloft(tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "dry run: rb-c-api: alias live v2 -> v1\n"
    assert _alias("rb-c-api")["FunctionVersion"] == "2"


def test_no_earlier_version_and_unknown_version_are_one_line_errors(
    aws_env: str, tmp_path: Path
) -> None:
    stack, function_zip, layer_zip = deployable(tmp_path, PROJECT.format(name="rb-d"))
    deploy(stack, function_zip, layer_zip)
    none = _aloft(tmp_path)
    assert none.returncode == 1
    assert none.stderr == (
        "aloft: error: rb-d-api: alias live serves v1 and no version it served before remains;"
        " nothing to roll back to (`--to V` names one)\n"
    )
    unknown = _aloft(tmp_path, "--to", "7")
    assert unknown.returncode == 2
    assert unknown.stderr == "aloft: error: --to 7: rb-d-api has no published version 7; it has 1\n"
    assert _alias("rb-d-api")["FunctionVersion"] == "1"


def test_a_function_never_deployed_names_the_fix(aws_env: str, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PROJECT.format(name="rb-e"))
    result = _aloft(tmp_path)
    assert result.returncode == 1
    assert "rb-e-api: no alias live" in result.stderr and "aloft lambda deploy" in result.stderr


def test_the_alias_moves_for_each_function_only_after_all_were_checked(
    aws_env: str, tmp_path: Path
) -> None:
    """One function with nothing to go back to stops the rollback before any alias moves."""
    stack = _deploy_twice(tmp_path, "rb-f")
    lone = dataclasses.replace(stack.functions[0], name="rb-f-lone", key="lone")
    deploy(
        dataclasses.replace(stack, functions=[lone]),
        tmp_path / "function.zip",
        tmp_path / "layer.zip",
        prune=False,
    )
    with pytest.raises(OperationFailed, match="rb-f-lone"):
        rollback(stack, [stack.functions[0], lone], None)
    assert _alias("rb-f-api")["FunctionVersion"] == "2"


def _release(stack: Any, tmp_path: Path, code: int, **deploy_args: Any) -> Any:
    """Deploy `stack` with a handler returning `code`, so every release publishes a version."""
    (tmp_path / "code" / "handler.py").write_text(
        f"def handler(event, context):\n    return {code}\n"
    )
    zipped = write_zip(tmp_path / "code", tmp_path / f"function{code}.zip").path
    return deploy(stack, zipped, tmp_path / "layer.zip", **deploy_args)


def _errors_on(function: str, version: str) -> Any:
    """A deploy's sleep between release steps, during which the new version fails."""
    return lambda seconds: record_errors(function, version)


def test_rollback_never_returns_to_a_release_deploy_rolled_back(
    aws_env: str, tmp_path: Path
) -> None:
    """v2's gradual release failed and deploy put v1 back; v3 then went live. The version before
    v3 is v1, not v2 (the highest below it, which never served all the traffic)."""
    stack, function_zip, layer_zip = deployable(tmp_path, PROJECT.format(name="rb-g"))
    deploy(stack, function_zip, layer_zip)
    gradual = dataclasses.replace(stack.functions[0], deployment="Linear10PercentEvery1Minute")
    failed = _release(
        dataclasses.replace(stack, functions=[gradual]),
        tmp_path,
        2,
        sleep=_errors_on("rb-g-api", "2"),
        step_seconds=0,
    )
    assert failed.rolled_back == ["rb-g-api"]
    assert _release(stack, tmp_path, 3).versions == {"rb-g-api": "3"}
    assert _alias("rb-g-api")["Description"] == "aloft: served before 1"

    back = _aloft(tmp_path)
    assert back.returncode == 0, back.stderr
    assert back.stdout == "rb-g-api: alias live v3 -> v1\n"
    assert _alias("rb-g-api")["FunctionVersion"] == "1"


def test_rollbacks_walk_back_through_releases_and_to_is_remembered(
    aws_env: str, tmp_path: Path
) -> None:
    stack = _deploy_twice(tmp_path, "rb-h")
    _release(stack, tmp_path, 3)
    assert _alias("rb-h-api")["Description"] == "aloft: served before 1 2"
    steps = [_aloft(tmp_path).stdout, _aloft(tmp_path).stdout]
    assert steps == ["rb-h-api: alias live v3 -> v2\n", "rb-h-api: alias live v2 -> v1\n"]
    assert _aloft(tmp_path).returncode == 1  # nothing served before v1
    # --to records the version it leaves: the next rollback returns there, not to v2.
    assert _aloft(tmp_path, "--to", "3").returncode == 0
    assert _aloft(tmp_path).stdout == "rb-h-api: alias live v3 -> v1\n"
