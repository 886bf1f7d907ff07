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
    "SQSRecord": "aloft.runtime.aws_lambda.sources.sqs",
    "SNSMessage": "aloft.runtime.aws_lambda.sources.sns",
    "S3Object": "aloft.runtime.aws_lambda.sources.s3",
    "EventBridgeEvent": "aloft.runtime.aws_lambda.sources.eventbridge",
    "ScheduledEvent": "aloft.runtime.aws_lambda.sources.schedule",
    "idempotent": "aloft.runtime.aws_lambda.idempotency",
    "MemoryStore": "aloft.runtime.aws_lambda.idempotency",
    "RedisStore": "aloft.runtime.aws_lambda.idempotency",
    "DynamoDBStore": "aloft.runtime.aws_lambda.idempotency",
    "secret": "aloft.runtime.aws_lambda.secrets",
}

TYPE_CHECKING = False  # the typing module costs more to import than all of this
if TYPE_CHECKING:
    from aloft.runtime.aws_lambda.context import LambdaContext
    from aloft.runtime.aws_lambda.handler import LambdaHandler, lambda_handler
    from aloft.runtime.aws_lambda.idempotency import (
        DynamoDBStore,
        MemoryStore,
        RedisStore,
        idempotent,
    )
    from aloft.runtime.aws_lambda.secrets import secret
    from aloft.runtime.aws_lambda.sources.eventbridge import EventBridgeEvent
    from aloft.runtime.aws_lambda.sources.s3 import S3Object
    from aloft.runtime.aws_lambda.sources.schedule import ScheduledEvent
    from aloft.runtime.aws_lambda.sources.sns import SNSMessage
    from aloft.runtime.aws_lambda.sources.sqs import SQSRecord
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
