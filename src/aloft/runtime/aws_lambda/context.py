"""The invocation being served, reachable from anywhere in it (idempotency needs its deadline)."""

from __future__ import annotations

import contextvars
import time

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from typing import Any

    from aloft.runtime.aws_lambda.context_fields import ClientContext


class LambdaContext:
    """What Lambda tells a function about one invocation: attribute for attribute the object
    awslambdaric (AWS's own runtime client) passes, so code written for Lambda finds
    `context.client_context.custom` and `context.identity.cognito_identity_id` here too."""

    def __init__(
        self,
        aws_request_id: str,
        deadline_ms: int,
        invoked_function_arn: str | None = None,
        trace_id: str = "",
        client_context: dict[str, Any] | None = None,
        identity: dict[str, Any] | None = None,
        tenant_id: str | None = None,
        environ: dict[str, str] | None = None,
    ) -> None:
        import os

        # Their classes live apart, imported at the first invocation, not with the runtime.
        from aloft.runtime.aws_lambda.context_fields import (
            W3C_FIELDS,
            Client,
            ClientContext,
            CognitoIdentity,
            filled,
        )

        env = os.environ if environ is None else environ
        self.aws_request_id = aws_request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        self.trace_id = trace_id  # not on awslambdaric's context; it sets _X_AMZN_TRACE_ID
        self._w3c_fields: dict[str, str] = {}
        self.client_context: ClientContext | None = None
        if isinstance(client_context, dict):
            client_context = dict(client_context)
            w3c = client_context.pop("w3c", None)  # reachable through w3c() only, as there
            if isinstance(w3c, dict):
                self._w3c_fields = {k: v for k in W3C_FIELDS if isinstance(v := w3c.get(k), str)}
            self.client_context = filled(ClientContext(), client_context)
            client = self.client_context.client
            self.client_context.client = (
                filled(Client(), client) if isinstance(client, dict) else None
            )
        # Always an object, its fields None without a Cognito identity (as awslambdaric does).
        self.identity = CognitoIdentity()
        ids = identity if isinstance(identity, dict) else {}
        self.identity.cognito_identity_id = ids.get("cognitoIdentityId")
        self.identity.cognito_identity_pool_id = ids.get("cognitoIdentityPoolId")
        self._epoch_deadline_time_in_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._epoch_deadline_time_in_ms - int(time.time() * 1000), 0)

    def w3c(self) -> dict[str, str]:
        """The W3C trace context the caller passed in the client context, at invoke time."""
        return dict(self._w3c_fields)

    def log(self, msg: Any) -> None:
        import sys

        sys.stdout.write(str(msg))

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(["
            f"aws_request_id={self.aws_request_id},"
            f"log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},"
            f"function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},"
            f"function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn},"
            f"client_context={self.client_context},"
            f"identity={self.identity},"
            f"tenant_id={self.tenant_id}"
            "])"
        )


# (event, context) of the invocation being served, set by the handler for its whole duration.
current: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar(
    "aloft_lambda_invocation", default=None
)


# Where this invocation's response may be streamed (a runtime_api.ResponseStream), set by
# aloft's runtime loop for a function in RESPONSE_STREAM mode; None otherwise.
response_stream: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "aloft_lambda_response_stream", default=None
)


def remaining_ms(default: int = 60_000) -> int:
    """Milliseconds this invocation has left; `default` outside Lambda or without a context."""
    invocation = current.get()
    if invocation is None:
        return default
    remaining = getattr(invocation[1], "get_remaining_time_in_millis", None)
    return int(remaining()) if callable(remaining) else default


def xray_traceparent(header: str | None) -> str | None:
    """A W3C traceparent for an X-Ray `Root=1-5759e988-bd86...;Parent=...;Sampled=1` header."""
    if not header:
        return None
    fields = dict(part.strip().split("=", 1) for part in header.split(";") if "=" in part)
    root = fields.get("Root", "")
    pieces = root.split("-")
    if len(pieces) != 3 or len(pieces[1]) != 8 or len(pieces[2]) != 24:
        return None
    parent = fields.get("Parent") or ""
    if len(parent) != 16:
        parent = "0000000000000001"  # X-Ray sent no parent: any valid non-zero span id
    flags = "01" if fields.get("Sampled", "1") == "1" else "00"
    return f"00-{pieces[1]}{pieces[2]}-{parent}-{flags}"
