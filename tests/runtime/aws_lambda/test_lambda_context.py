"""aloft's LambdaContext against awslambdaric's own class, attribute for attribute."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest
from awslambdaric.lambda_context import LambdaContext as AWSContext

from aloft.runtime.aws_lambda.context import LambdaContext
from lambdakit import ALOFT_BOOTSTRAP, awslambdaric, emulated

ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "orders",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/orders",
    "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/05/[$LATEST]abc",
}
# The client context a mobile SDK sends (X-Amz-Client-Context), as the Invoke API documents it.
CLIENT_CONTEXT = {
    "client": {
        "installation_id": "install-1",
        "app_title": "Shop",
        "app_version_name": "1.2",
        "app_version_code": "12",
        "app_package_name": "com.example.shop",
    },
    "custom": {"tenant": "blue"},
    "env": {"platform": "Android", "locale": "en_US"},
    "w3c": {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "x": 1},
}
IDENTITY = {"cognitoIdentityId": "us-east-1:1234", "cognitoIdentityPoolId": "us-east-1:pool"}


def public(value: Any) -> Any:
    """Every public attribute, recursively; methods by name only."""
    if value is None or isinstance(value, (str, int, float, bool, dict, list)):
        return value
    names = getattr(type(value), "__slots__", None) or [
        n for n in dir(value) if not n.startswith("_")
    ]
    out: dict[str, Any] = {"class": type(value).__name__}
    for name in names:
        attr = getattr(value, name, None)
        out[name] = "<method>" if callable(attr) else public(attr)
    return out


@pytest.mark.parametrize(
    ("client_context", "identity"),
    [(None, None), (CLIENT_CONTEXT, None), (None, IDENTITY), (CLIENT_CONTEXT, IDENTITY)],
    ids=["bare", "client-context", "cognito", "both"],
)
def test_context_matches_awslambdaric_attribute_for_attribute(
    client_context: dict[str, Any] | None,
    identity: dict[str, Any] | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    deadline = int(time.time() * 1000) + 60_000
    arn = "arn:aws:lambda:us-east-1:123456789012:function:orders"
    theirs = AWSContext(
        "req-1",
        json.loads(json.dumps(client_context)) if client_context else None,
        identity,
        deadline,
        arn,
        "tenant-7",
    )
    ours = LambdaContext(
        "req-1",
        deadline,
        arn,
        client_context=json.loads(json.dumps(client_context)) if client_context else None,
        identity=identity,
        tenant_id="tenant-7",
    )
    mine = public(ours)
    mine.pop("trace_id")  # aloft's one addition (its observer reads it); awslambdaric has none
    assert mine == public(theirs)
    assert repr(ours) == repr(theirs)
    assert ours.w3c() == theirs.w3c()
    assert abs(ours.get_remaining_time_in_millis() - theirs.get_remaining_time_in_millis()) < 50
    if client_context:
        assert ours.client_context is not None
        assert ours.client_context.custom == {"tenant": "blue"}
        assert ours.client_context.client.app_title == "Shop"
    assert ours.identity.cognito_identity_id == (identity or {}).get("cognitoIdentityId")


def test_the_context_is_the_same_through_both_runtime_clients() -> None:
    """A direct invocation with a client context, served by aloft's client and by
    awslambdaric: the handler sees the same context."""
    header = base64.b64encode(json.dumps(CLIENT_CONTEXT).encode()).decode()
    seen = {}
    for name, command in (
        ("aloft", [*ALOFT_BOOTSTRAP, "lambda_testfn.context_info"]),
        ("awslambdaric", awslambdaric("lambda_testfn.context_info")),
    ):
        with emulated(command) as (_, front, _):
            response = httpx.post(
                f"http://127.0.0.1:{front.port}/2015-03-31/functions/fn/invocations",
                json={"k": 1},
                headers={"X-Amz-Client-Context": header},
                timeout=20,
            )
        assert response.status_code == 200, response.text
        assert "x-amz-function-error" not in response.headers, response.text
        seen[name] = response.json()
    assert seen["aloft"] == seen["awslambdaric"]
    context = seen["aloft"]["context"]
    assert context["client_context"]["custom"] == {"tenant": "blue"}
    assert context["client_context"]["client"]["class"] == "Client"
    assert context["identity"] == {
        "class": "CognitoIdentity",
        "cognito_identity_id": None,
        "cognito_identity_pool_id": None,
    }
    assert context["w3c"] == {"traceparent": CLIENT_CONTEXT["w3c"]["traceparent"]}
