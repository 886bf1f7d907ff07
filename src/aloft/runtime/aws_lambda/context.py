"""The invocation being served, reachable from anywhere in it (idempotency needs its deadline)."""

from __future__ import annotations

import contextvars
import time

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from typing import Any


class LambdaContext:
    """What Lambda tells a function about one invocation; the shape awslambdaric passes too."""

    def __init__(
        self,
        aws_request_id: str,
        deadline_ms: int,
        invoked_function_arn: str = "",
        trace_id: str = "",
        client_context: Any = None,
        identity: Any = None,
        tenant_id: str | None = None,
        environ: dict[str, str] | None = None,
    ) -> None:
        import os

        env = os.environ if environ is None else environ
        self.aws_request_id = aws_request_id
        self.invoked_function_arn = invoked_function_arn
        self.trace_id = trace_id
        self.client_context = client_context
        self.identity = identity
        self.tenant_id = tenant_id
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self) -> str:
        return f"LambdaContext(aws_request_id={self.aws_request_id!r})"


# (event, context) of the invocation being served, set by the handler for its whole duration.
current: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar(
    "aloft_lambda_invocation", default=None
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
