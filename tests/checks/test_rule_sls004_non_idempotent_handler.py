from checkkit import marked

BAD_SQS = """
import json

import boto3

table = boto3.resource("dynamodb").Table("payments")


def handler(event, context):  # <-
    for record in event["Records"]:
        payment = json.loads(record["body"])
        table.put_item(Item=payment)
        charge(payment)
    return {}


def charge(payment):
    pass
"""

BAD_EVENTBRIDGE = """
import boto3

sns = boto3.client("sns")


def on_order(event, context):  # <-
    detail = event["detail"]
    sns.publish(TopicArn=TOPIC, Message=detail["orderId"])
"""

GOOD = """
import json

import boto3
from aws_lambda_powertools.utilities.idempotency import idempotent_function

table = boto3.resource("dynamodb").Table("payments")


def handler(event, context):
    for record in event["Records"]:
        payment = json.loads(record["body"])
        table.put_item(Item=payment, ConditionExpression="attribute_not_exists(id)")
    return {}
"""

GOOD_READ_ONLY = """
def handler(event, context):
    sizes = [r["s3"]["object"]["size"] for r in event["Records"]]
    return {"total": sum(sizes)}


def api(event, context):
    return {"statusCode": 200, "body": event["body"]}
"""


def test_reports_sqs_handler_with_side_effects_and_no_idempotency_key(check):
    assert check("SLS004", BAD_SQS) == marked(BAD_SQS)


def test_reports_eventbridge_handler_with_side_effects(check):
    assert check("SLS004", BAD_EVENTBRIDGE) == marked(BAD_EVENTBRIDGE)


def test_conditional_writes_stay_quiet(check):
    assert check("SLS004", GOOD) == []


def test_read_only_handlers_and_http_handlers_stay_quiet(check):
    assert check("SLS004", GOOD_READ_ONLY) == []
