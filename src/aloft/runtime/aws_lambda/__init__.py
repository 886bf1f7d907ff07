"""aloft on AWS Lambda: the handler adapter, event handlers, idempotency and the Runtime API client.

    from aloft.runtime.aws_lambda import lambda_handler
    handler = lambda_handler(app)          # ASGI or WSGI

Names are imported on first use, so importing this package costs next to nothing.
"""

from __future__ import annotations

from aloft.runtime._lazy import lazy_getattr

_EXPORTS = {
    "lambda_handler": "aloft.runtime.aws_lambda.handler",
    "LambdaHandler": "aloft.runtime.aws_lambda.handler",
    "UnknownEventError": "aloft.runtime.exceptions",
    "LambdaContext": "aloft.runtime.aws_lambda.context",
    "SQSRecord": "aloft.runtime.aws_lambda.events",
    "SNSMessage": "aloft.runtime.aws_lambda.events",
    "S3Object": "aloft.runtime.aws_lambda.events",
    "EventBridgeEvent": "aloft.runtime.aws_lambda.events",
    "ScheduledEvent": "aloft.runtime.aws_lambda.events",
    "idempotent": "aloft.runtime.aws_lambda.idempotency",
    "MemoryStore": "aloft.runtime.aws_lambda.idempotency",
    "RedisStore": "aloft.runtime.aws_lambda.idempotency",
    "DynamoDBStore": "aloft.runtime.aws_lambda.idempotency",
    "secret": "aloft.runtime.aws_lambda.secrets",
}

TYPE_CHECKING = False  # the typing module costs more to import than all of this
if TYPE_CHECKING:
    from aloft.runtime.aws_lambda.context import LambdaContext
    from aloft.runtime.aws_lambda.events import (
        EventBridgeEvent,
        S3Object,
        ScheduledEvent,
        SNSMessage,
        SQSRecord,
    )
    from aloft.runtime.aws_lambda.handler import LambdaHandler, lambda_handler
    from aloft.runtime.aws_lambda.idempotency import (
        DynamoDBStore,
        MemoryStore,
        RedisStore,
        idempotent,
    )
    from aloft.runtime.aws_lambda.secrets import secret
    from aloft.runtime.exceptions import UnknownEventError

__all__ = [
    "DynamoDBStore",
    "EventBridgeEvent",
    "LambdaContext",
    "LambdaHandler",
    "MemoryStore",
    "RedisStore",
    "S3Object",
    "SNSMessage",
    "SQSRecord",
    "ScheduledEvent",
    "UnknownEventError",
    "idempotent",
    "lambda_handler",
    "secret",
]


__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())
