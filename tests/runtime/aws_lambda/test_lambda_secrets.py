"""Secrets by reference: fetched from SSM / Secrets Manager (moto) at cold start, never logged."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from aloft.runtime.aws_lambda.secrets import SecretReferenceError, parse_refs
from lambdakit import ALOFT_BOOTSTRAP, emulated, json_lines


def test_secret_references_are_fetched_at_cold_start_and_masked_in_logs(aws_env: str) -> None:
    name = uuid.uuid4().hex[:8]
    password = f"pw-{uuid.uuid4().hex}"
    api_key = f"key-{uuid.uuid4().hex}"
    boto3.client("ssm").put_parameter(Name=f"/{name}/db", Value=password, Type="SecureString")
    boto3.client("secretsmanager").create_secret(Name=f"{name}/api", SecretString=api_key)
    env = {
        "AWS_ENDPOINT_URL": aws_env,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "ALOFT_SECRET_REFS": f"DB_PASSWORD=ssm:/{name}/db,API_KEY=secretsmanager:{name}/api",
    }
    with emulated([*ALOFT_BOOTSTRAP, "lambda_testfn.show_secret"], env=env) as (emulator, _, lines):
        result = emulator.invoke(b"{}")
        assert result.ok, result.payload
        assert json.loads(result.payload) == {
            "length": len(password),
            "env_matches": True,
            "api_key": len(api_key),
        }
    logged = [line for line in json_lines(lines) if line.get("logger") == "testfn"]
    assert logged and "**********" in logged[0]["message"]
    assert not any(password in line or api_key in line for line in lines)


def test_a_malformed_reference_names_the_variable_not_a_value() -> None:
    with pytest.raises(SecretReferenceError, match="ALOFT_SECRET_REFS: 'DB'"):
        parse_refs("DB=vault:/x")
