from checkkit import marked

BAD = """
import boto3
import redis
from fastapi import FastAPI
from sqlalchemy import create_engine

app = FastAPI()


def table():
    return boto3.resource("dynamodb").Table("orders")  # <-


def handler(event, context):
    s3 = boto3.client("s3")  # <-
    s3.put_object(Bucket="b", Key="k", Body=b"")
    table().put_item(Item={"id": "1"})
    return {"statusCode": 200}


@app.get("/count")
def count():
    engine = create_engine(DATABASE_URL)  # <-
    r = redis.Redis.from_url(REDIS_URL)  # <-
    return {"n": r.incr("n")}
"""

GOOD = """
import functools

import boto3
import httpx
from fastapi import FastAPI

app = FastAPI()
s3 = boto3.client("s3")
_table = None


@functools.cache
def table():
    return boto3.resource("dynamodb").Table("orders")


def lazy_table():
    global _table
    if _table is None:
        _table = boto3.resource("dynamodb").Table("orders")
    return _table


def handler(event, context):
    s3.put_object(Bucket="b", Key="k", Body=b"")
    table().put_item(Item={"id": "1"})
    lazy_table().put_item(Item={"id": "2"})
    return {"statusCode": 200}


@app.get("/proxy")
async def proxy():
    async with httpx.AsyncClient() as client:
        return (await client.get("https://example.com")).json()


def make_client():
    return boto3.client("sqs")
"""


def test_reports_clients_built_per_invocation_and_pools_per_request(check):
    assert check("SLS001", BAD) == marked(BAD)


def test_module_clients_cached_or_lazy_globals_and_per_request_http_clients_stay_quiet(check):
    assert check("SLS001", GOOD) == []
