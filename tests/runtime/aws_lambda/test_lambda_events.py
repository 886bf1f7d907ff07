"""Event handlers: SQS partial batch failures (FIFO stops at the first), SNS, S3, EventBridge."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aloft.runtime.aws_lambda import (
    EventBridgeEvent,
    S3Object,
    ScheduledEvent,
    SNSMessage,
    SQSRecord,
    UnknownEventError,
    lambda_handler,
)
from lambdakit import Context


def sqs_event(bodies: list[dict[str, Any]], fifo: bool = False) -> dict[str, Any]:
    arn = "arn:aws:sqs:us-east-1:123456789012:orders" + (".fifo" if fifo else "")
    return {
        "Records": [
            {
                "messageId": f"m-{i}",
                "receiptHandle": f"r-{i}",
                "body": json.dumps(body),
                "attributes": {"MessageGroupId": "g"} if fifo else {},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
            }
            for i, body in enumerate(bodies)
        ]
    }


def test_sqs_reports_exactly_the_failed_message_ids() -> None:
    handler = lambda_handler()
    seen: list[str] = []

    @handler.on_sqs
    def process(record: SQSRecord) -> None:
        seen.append(record.message_id)
        if record.json()["fail"]:
            raise ValueError("injected")

    flags = [False, True, False, True, True, False, False, True]
    result = handler(sqs_event([{"fail": f} for f in flags]), Context())
    expected = [f"m-{i}" for i, f in enumerate(flags) if f]
    assert result == {"batchItemFailures": [{"itemIdentifier": m} for m in expected]}
    assert seen == [f"m-{i}" for i in range(len(flags))]


def test_sqs_batch_without_failures_reports_none() -> None:
    handler = lambda_handler()
    handler.on_sqs(lambda record: None)
    assert handler(sqs_event([{}, {}]), Context()) == {"batchItemFailures": []}


def test_fifo_stops_at_the_first_failure_and_reports_it_and_the_rest() -> None:
    handler = lambda_handler()
    seen: list[str] = []

    @handler.on_sqs
    def process(record: SQSRecord) -> None:
        seen.append(record.message_id)
        if record.json()["fail"]:
            raise ValueError("injected")

    result = handler(
        sqs_event([{"fail": False}, {"fail": True}, {"fail": False}, {"fail": False}], fifo=True),
        Context(),
    )
    assert result == {"batchItemFailures": [{"itemIdentifier": m} for m in ("m-1", "m-2", "m-3")]}
    assert seen == ["m-0", "m-1"]


def test_async_record_handlers_run_on_the_environments_loop() -> None:
    handler = lambda_handler()
    seen: list[str] = []

    @handler.on_sqs
    async def process(record: SQSRecord) -> None:
        if record.json()["fail"]:
            raise ValueError("injected")
        seen.append(record.message_id)

    result = handler(sqs_event([{"fail": True}, {"fail": False}]), Context())
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-0"}]}
    assert seen == ["m-1"]


def test_sns_messages_are_typed() -> None:
    handler = lambda_handler()
    got: list[SNSMessage] = []
    handler.on_sns(got.append)
    event = {
        "Records": [
            {
                "EventSource": "aws:sns",
                "Sns": {
                    "MessageId": "s1",
                    "TopicArn": "arn:t",
                    "Subject": "hi",
                    "Message": '{"a": 1}',
                },
            }
        ]
    }
    handler(event, Context())
    assert (got[0].message_id, got[0].topic_arn, got[0].json()) == ("s1", "arn:t", {"a": 1})


def test_s3_object_keys_are_decoded() -> None:
    handler = lambda_handler()
    got: list[S3Object] = []
    handler.on_s3(got.append)
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": "b"},
                    "object": {"key": "reports/q1+2024%21.csv", "size": 12},
                },
            }
        ]
    }
    handler(event, Context())
    assert (got[0].bucket, got[0].key, got[0].size) == ("b", "reports/q1 2024!.csv", 12)


def test_eventbridge_and_schedule_events_go_to_their_handlers() -> None:
    handler = lambda_handler()
    got: list[EventBridgeEvent] = []
    handler.on_eventbridge(lambda e: got.append(e) or "custom")
    handler.on_schedule(lambda e: got.append(e) or "tick")
    custom = {"id": "1", "source": "shop.orders", "detail-type": "Order Placed", "detail": {"n": 2}}
    tick = {"id": "2", "source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    assert handler(custom, Context()) == "custom"
    assert handler(tick, Context()) == "tick"
    assert type(got[0]) is EventBridgeEvent and got[0].detail == {"n": 2}
    assert isinstance(got[1], ScheduledEvent)


def test_unregistered_event_kind_names_the_decorator_to_use() -> None:
    handler = lambda_handler()
    with pytest.raises(UnknownEventError, match="on_sqs"):
        handler(sqs_event([{}]), Context())


def test_malformed_sns_event_is_a_clear_error() -> None:
    handler = lambda_handler()
    handler.on_sns(lambda m: None)
    with pytest.raises(UnknownEventError, match="malformed sns event"):
        handler({"Records": [{"EventSource": "aws:sns"}]}, Context())


def test_a_schedule_goes_to_the_eventbridge_handler_when_it_has_none_of_its_own() -> None:
    handler = lambda_handler()
    seen: list[Any] = []
    handler.on_eventbridge(lambda event: seen.append(event) or "done")
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "id": "s-1"}
    assert handler(event, Context()) == "done"
    assert type(seen[0]) is EventBridgeEvent and seen[0].id == "s-1"


def test_a_handlers_own_key_error_is_its_failure_not_a_malformed_event() -> None:
    handler = lambda_handler()

    @handler.on_eventbridge
    def on_event(event: EventBridgeEvent) -> None:
        raise KeyError("missing-in-app")

    with pytest.raises(KeyError, match="missing-in-app"):
        handler(ORDER_EVENT, Context())


ORDER_EVENT = {"source": "shop.orders", "detail-type": "OrderPlaced", "detail": {"id": 1}}


def test_every_event_source_module_has_the_one_protocol() -> None:
    import importlib

    from aloft.runtime.aws_lambda import sources

    kinds = set()
    for name in sources.EVENT_SOURCES:
        module = importlib.import_module(name)
        assert isinstance(module.KIND, str) and callable(module.matches)
        assert callable(module.handle)
        assert hasattr(lambda_handler(), f"on_{module.KIND}"), "a registration method per kind"
        kinds.add(module.KIND)
    assert kinds == {"sqs", "sns", "s3", "eventbridge", "schedule"}


def test_messages_received_from_a_queue_make_the_event_lambda_would_deliver(
    aws_env: str,
) -> None:
    """Sent and received through the SQS API (moto), turned into a Lambda event, handled."""
    import boto3

    from aloft.runtime.aws_lambda.sources.sqs import event_from_messages

    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sqs.send_message(
        QueueUrl=url,
        MessageBody=json.dumps({"order": 7}),
        MessageAttributes={
            "tenant": {"DataType": "String", "StringValue": "acme"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    sqs.send_message(QueueUrl=url, MessageBody="not json")
    received = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
    )["Messages"]
    event = event_from_messages(received, arn)

    record = event["Records"][0]
    assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == arn
    assert record["awsRegion"] == "us-east-1"
    assert record["messageAttributes"]["tenant"]["stringValue"] == "acme"
    assert record["messageAttributes"]["blob"]["binaryValue"] == "AAE="
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    json.dumps(event)  # what Lambda delivers is JSON

    handler = lambda_handler()
    orders: list[int] = []
    handler.on_sqs(lambda r: orders.append(r.json()["order"]))
    failures = handler(event, Context())["batchItemFailures"]
    assert orders == [7]
    assert failures == [{"itemIdentifier": received[1]["MessageId"]}]
