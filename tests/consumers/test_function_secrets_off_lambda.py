"""A function's secrets by reference (ALOFT_SECRET_REFS) are fetched when a CronJob run or a queue
consumer starts, as Lambda's cold start fetches them: from SSM on a moto server here. A reference
that cannot be fetched stops the process at once with one line that names it, not the value."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3

HANDLER = """
import os

def handler(event, context):
    return {"length": len(os.environ["PAYMENTS_KEY"]), "rule": event["resources"][0]}
"""
VALUE = "pk-live-0123456789"


def _run(module: str, args: list[str], folder: Path, refs: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=folder,
        env={**os.environ, "ALOFT_SECRET_REFS": refs},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_cronjob_run_fetches_the_functions_secrets_before_the_handler(
    aws_env: str, tmp_path: Path
) -> None:
    boto3.client("ssm").put_parameter(
        Name="/shop/payments-key", Value=VALUE, Type="SecureString", Overwrite=True
    )
    (tmp_path / "jobs.py").write_text(HANDLER)
    done = _run(
        "aloft.runtime.scheduled",
        ["jobs.handler", "--rule", "nightly-schedule"],
        tmp_path,
        "PAYMENTS_KEY=ssm:/shop/payments-key",
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["length"] == len(VALUE)
    assert result["rule"].endswith(":rule/nightly-schedule")
    assert VALUE not in done.stdout + done.stderr


def test_an_unfetchable_secret_stops_a_cronjob_run_and_a_consumer_with_one_line(
    aws_env: str, tmp_path: Path
) -> None:
    (tmp_path / "jobs.py").write_text(HANDLER)
    refs = "PAYMENTS_KEY=ssm:/shop/no-such-key"
    for module, args in (
        ("aloft.runtime.scheduled", ["jobs.handler", "--rule", "nightly-schedule"]),
        ("aloft.runtime.consumer", ["jobs.handler", "--queue", "orders"]),
    ):
        done = _run(module, args, tmp_path, refs)
        assert done.returncode == 1, (module, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert lines[-1] == (
            "aloft: error: ALOFT_SECRET_REFS: cannot fetch ssm:/shop/no-such-key: ParameterNotFound"
        ), module
        # Nothing ran: no result on stdout (the consumer's JSON log lines may be there).
        assert "length" not in done.stdout, module
