"""Lambda's provisioned-concurrency API for tests, where moto has none.

moto 5.2.5 and 5.2.6 implement no Put/Get/Delete/ListProvisionedConcurrencyConfig(s): their server
answers 404 to those paths. These calls alone are answered here, on a boto3 session, after
botocore has validated each request against Lambda's real service model (the session's client
does that before any request leaves; `validate_parameters` checks it again, explicitly). Every
other call of the session goes to moto as usual.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore import xform_name
from botocore.validate import validate_parameters

OPERATIONS = (
    "PutProvisionedConcurrencyConfig",
    "GetProvisionedConcurrencyConfig",
    "DeleteProvisionedConcurrencyConfig",
)


class _Http:
    def __init__(self, status: int) -> None:
        self.status_code = status
        self.headers: dict[str, str] = {}


class ProvisionedConcurrency:
    """The provisioned-concurrency configs of an account: (function, qualifier) -> requested."""

    def __init__(self) -> None:
        self.configs: dict[tuple[str, str], int] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._pending: dict[str, dict[str, Any]] = {}

    def session(self, region: str = "us-east-1") -> Any:
        """A boto3 session whose Lambda clients answer the provisioned-concurrency calls here."""
        session = boto3.session.Session(region_name=region)
        for operation in OPERATIONS:
            session.events.register(
                f"provide-client-params.lambda.{operation}", self._remember(operation)
            )
            session.events.register(f"before-call.lambda.{operation}", self._answer(operation))
        return session

    def _remember(self, operation: str) -> Any:
        def remember(params: dict[str, Any], **_: Any) -> None:
            self._pending[operation] = dict(params)

        return remember

    def _answer(self, operation: str) -> Any:
        def answer(model: Any, **_: Any) -> tuple[_Http, dict[str, Any]]:
            params = self._pending.pop(operation)
            validate_parameters(params, model.input_shape)  # raises on a malformed request
            self.calls.append((operation, params))
            key = (params["FunctionName"], params.get("Qualifier", ""))
            if operation == "PutProvisionedConcurrencyConfig":
                self.configs[key] = int(params["ProvisionedConcurrentExecutions"])
                return _Http(202), self._status(key)
            if key not in self.configs:
                error = {
                    "Code": "ProvisionedConcurrencyConfigNotFoundException",
                    "Message": f"No Provisioned Concurrency Config found for {key}",
                }
                return _Http(404), {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 404}}
            if operation == "DeleteProvisionedConcurrencyConfig":
                del self.configs[key]
                return _Http(204), {"ResponseMetadata": {"HTTPStatusCode": 204}}
            return _Http(200), self._status(key)

        return answer

    def _status(self, key: tuple[str, str]) -> dict[str, Any]:
        requested = self.configs[key]
        return {
            "RequestedProvisionedConcurrentExecutions": requested,
            "AllocatedProvisionedConcurrentExecutions": requested,
            "AvailableProvisionedConcurrentExecutions": requested,
            "Status": "READY",
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }


# The SDK service id of a universal target (arn:aws:scheduler:::aws-sdk:<service>:<action>) and
# the boto3 client that calls it.
_CLIENTS = {"eventbridge": "events", "lambda": "lambda"}


def fire(session: Any, target: dict[str, Any]) -> Any:
    """Do what EventBridge Scheduler does when a schedule with this universal `target` fires:
    call the API action its ARN names with its Input as the request's parameters."""
    service, action = target["Arn"].split(":")[6:8]
    client = session.client(_CLIENTS[service])
    method = xform_name(action[:1].upper() + action[1:])
    return getattr(client, method)(**json.loads(target["Input"]))
