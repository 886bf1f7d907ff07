"""What the functions use: their queues, the idempotency table and the dependencies layer."""

from __future__ import annotations

import hashlib
import json

from aloft.serverless.deploy.run import DeployRun
from aloft.serverless.model import Queue, next_version
from aloft.serverless.tagging import TAGGING, pairs


def queue(run: DeployRun, queue: Queue) -> str:
    """The queue's ARN (also kept in `run.queue_arns`); a dead-letter queue goes first."""
    sqs = run.client("sqs")
    resource = f"queue {queue.name}"
    # As template.queue_resource declares it, encryption at rest included.
    attributes = {
        "VisibilityTimeout": str(queue.visibility_timeout),
        "SqsManagedSseEnabled": "true",
    }
    if queue.fifo:
        attributes["FifoQueue"] = "true"
    if queue.dead_letter is not None:
        attributes["RedrivePolicy"] = json.dumps(
            {
                "deadLetterTargetArn": run.queue_arns[queue.dead_letter.name],
                "maxReceiveCount": str(queue.max_receive_count),
            }
        )
    try:
        url = sqs.get_queue_url(QueueName=queue.name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        url = run.apply(
            "create",
            resource,
            f"queue {queue.name} created",
            lambda: sqs.create_queue(QueueName=queue.name, Attributes=attributes, tags=run.tags)[
                "QueueUrl"
            ],
        )
        if url is None:  # a plan
            arn = run.arn("sqs", queue.name)
            run.queue_arns[queue.name] = arn
            return arn
    else:
        run.sync_tags("queue", queue.name, url, TAGGING["queue"].read(sqs, url))
    current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    differs = {
        k: v
        for k, v in attributes.items()
        if k != "FifoQueue" and not _same_attr(current.get(k), v)
    }
    if differs:
        run.apply(
            "update",
            resource,
            f"queue {queue.name} attributes set",
            lambda: sqs.set_queue_attributes(QueueUrl=url, Attributes=differs),
        )
    arn = str(current["QueueArn"])
    run.queue_arns[queue.name] = arn
    return arn


def _same_attr(current: str | None, wanted: str) -> bool:
    if current is None:
        return False
    if wanted.startswith("{"):
        try:
            a, b = json.loads(current), json.loads(wanted)
            return {k: str(v) for k, v in a.items()} == {k: str(v) for k, v in b.items()}
        except ValueError:
            return False
    return current == wanted


def table(run: DeployRun) -> None:
    """The idempotency table, on demand, with its time-to-live; its ARN goes to `run.table_arn`."""
    dynamodb = run.client("dynamodb")
    name = run.stack.idempotency_table
    try:
        run.table_arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
    except dynamodb.exceptions.ResourceNotFoundException:
        pass
    else:
        run.sync_tags("table", name, run.table_arn, TAGGING["table"].read(dynamodb, run.table_arn))
        return

    def create() -> str:
        arn = str(
            dynamodb.create_table(
                TableName=name,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                Tags=pairs(run.tags),
            )["TableDescription"]["TableArn"]
        )
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"AttributeName": "expiration", "Enabled": True},
        )
        return arn

    arn = run.apply("create", f"table {name}", f"table {name} created", create)
    run.table_arn = arn or run.arn("dynamodb", f"table/{name}")


def layer(run: DeployRun) -> str | None:
    """The dependencies layer version holding this zip, published if none does.

    Layer versions take no tags and are kept, like the template's RetentionPolicy: Retain."""
    if run.layer_zip is None:
        return None
    lam = run.client("lambda")
    digest = "sha256:" + hashlib.sha256(run.layer_zip).hexdigest()
    versions = lam.list_layer_versions(LayerName=run.stack.layer_name).get("LayerVersions", [])
    for version in versions:
        if version.get("Description") == digest:
            return str(version["LayerVersionArn"])
    name = run.stack.layer_name
    if run.plan:
        number = next_version([str(v["Version"]) for v in versions])
        arn = run.arn("lambda", f"layer:{name}:{number}")
    else:
        published = lam.publish_layer_version(
            LayerName=name,
            Description=digest,
            Content={"ZipFile": run.layer_zip},
            CompatibleRuntimes=[run.stack.runtime],
            CompatibleArchitectures=[run.stack.architecture],
        )
        number, arn = str(published["Version"]), str(published["LayerVersionArn"])
    run.result.record("create", f"layer {name}", f"layer {name} version {number} published")
    return arn
