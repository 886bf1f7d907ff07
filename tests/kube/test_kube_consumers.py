"""Queue consumers on the real 1.20 cluster: the consumer Deployment `aloft k8s deploy` renders
for an SQS-triggered Lambda function consumes a real queue (moto's SQS on the pod bridge), with
the example's handler (examples/events) that Lambda runs unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubekit import ROOT, json_of, k8s_deploy, kubectl

from lambdakit import ALOFT_BOOTSTRAP, emulated

pytestmark = pytest.mark.timeout(900)

QUEUE = "orders-events-orders"  # what `aloft lambda deploy` creates for the example's event


@pytest.fixture(scope="session")
def bridge_moto(kube_cluster: dict[str, Any]) -> Iterator[str]:
    """moto's AWS APIs on the pod bridge's gateway: reachable from pods and from this machine
    only."""
    binary = Path(sys.executable).with_name("moto_server")
    url = f"http://{kube_cluster['gateway']}:5391"
    process = subprocess.Popen(
        [str(binary), "-H", kube_cluster["gateway"], "-p", "5391"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url + "/moto-api/", timeout=1)
            break
        except httpx.HTTPError:
            assert time.monotonic() < deadline and process.poll() is None, "moto did not start"
            time.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def events_image(kube_cluster: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`aloft build --push` of examples/events into the cluster's registry; its JSON record."""
    record = tmp_path_factory.mktemp("events-image") / "build.json"
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("aloft")),
            "build",
            "--project",
            str(ROOT / "examples" / "events"),
            "--push",
            f"{kube_cluster['registry']}/orders:test",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    record.write_text(result.stdout)
    return record


def _sqs(moto: str) -> Any:
    import boto3

    return boto3.client(
        "sqs",
        endpoint_url=moto,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _queues(sqs: Any, name: str) -> tuple[str, str]:
    """The queue and its DLQ as Lambda deploy creates them (redrive after 2 receives), with a
    short visibility timeout so the test sees redeliveries quickly; (url, dlq url)."""
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": "3",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
        },
    )["QueueUrl"]
    return url, dlq


def _send(sqs: Any, url: str, bodies: list[dict[str, Any]]) -> None:
    for start in range(0, len(bodies), 10):
        chunk = bodies[start : start + 10]
        entries = [{"Id": str(i), "MessageBody": json.dumps(b)} for i, b in enumerate(chunk)]
        assert not sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")


def _depth(sqs: Any, url: str) -> int:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )


def _project(folder: Path, namespace: str, redis_url: str, moto: str, marker: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    variables = {
        "REDIS_URL": redis_url,
        "AWS_ENDPOINT_URL": moto,
        "MARKER": marker,  # changing it rolls the pods
    }
    env = ", ".join(f'{k} = "{v}"' for k, v in variables.items())
    pyproject = (ROOT / "examples" / "events" / "pyproject.toml").read_text()
    pyproject = pyproject.replace("timeout = 10", "timeout = 5")
    (folder / "pyproject.toml").write_text(
        pyproject
        + textwrap.dedent(
            f"""
            [tool.aloft.kubernetes]
            namespace = "{namespace}"
            cpu = "50m"
            memory = "192Mi"
            replicas = 1
            env = {{ {env} }}

            secret_env = {{ AWS_ACCESS_KEY_ID = "aws:id", AWS_SECRET_ACCESS_KEY = "aws:key" }}

            [tool.aloft.kubernetes.autoscaling]
            enabled = false

            [tool.aloft.kubernetes.consumers.worker]
            replicas = 2
            wait_seconds = 1
            """
        )
    )
    return folder


def _consumer_pods(facts: dict[str, Any], namespace: str) -> list[dict[str, Any]]:
    out = kubectl(
        facts, "-n", namespace, "get", "pods", "-l", "app.kubernetes.io/component=consumer",
        "-o", "json",
    )  # fmt: skip
    items = json.loads(out.stdout)["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]  # not draining


def _ids(redis: Any, key: str) -> list[int]:
    return [int(v) for v in redis.lrange(key, 0, -1)]


def test_one_handler_file_consumes_on_the_cluster_and_on_lambda_once_dlq_and_no_loss_on_a_roll(
    kube_cluster: dict[str, Any],
    events_image: Path,
    bridge_redis: str,
    bridge_moto: str,
    namespace: str,
    tmp_path: Path,
) -> None:
    import redis as redis_client

    redis = redis_client.Redis.from_url(bridge_redis)
    redis.delete("orders:charged", "orders:attempts")
    for key in redis.scan_iter("orders:idempotency:*"):
        redis.delete(key)
    sqs = _sqs(bridge_moto)
    url, dlq = _queues(sqs, QUEUE)
    # moto's dummy credentials, from a Secret as real ones would be (aloft refuses plain ones).
    kubectl(kube_cluster, "-n", namespace, "create", "secret", "generic", "aws",
            "--from-literal=id=testing", "--from-literal=key=testing")  # fmt: skip
    project = _project(tmp_path / "p", namespace, bridge_redis, bridge_moto, "v1")

    deployed = k8s_deploy(kube_cluster, project, "--image-record", str(events_image), "-o", "json")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert json_of(deployed)["ok"]
    pods = _consumer_pods(kube_cluster, namespace)
    assert len(pods) == 2 and all(
        all(c["ready"] for c in p["status"]["containerStatuses"]) for p in pods
    )

    # Duplicates and a poison message: every order charged once, the poison one dead-lettered.
    _send(sqs, url, [{"order_id": i % 20} for i in range(40)] + [{"order_id": 999, "fail": True}])
    deadline = time.monotonic() + 120
    while _depth(sqs, dlq) < 1 or _depth(sqs, url) > 0:
        assert time.monotonic() < deadline, (_depth(sqs, url), _depth(sqs, dlq))
        time.sleep(0.5)
    assert sorted(_ids(redis, "orders:charged")) == list(range(20))
    assert _ids(redis, "orders:attempts").count(999) == 2  # maxReceiveCount, then the DLQ
    (dead,) = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1)["Messages"]
    assert json.loads(dead["Body"])["order_id"] == 999

    # A rolling restart (a config change) under load: nothing lost, nothing handled twice.
    load = [{"order_id": 1000 + i, "work": 0.05} for i in range(300)]
    before = {p["metadata"]["name"] for p in _consumer_pods(kube_cluster, namespace)}
    _send(sqs, url, load[:50])

    def keep_sending() -> None:  # bounded: 25 batches of 10, one every 0.5 s, during the roll
        client = _sqs(bridge_moto)
        for start in range(50, len(load), 10):
            _send(client, url, load[start : start + 10])
            time.sleep(0.5)

    sender = threading.Thread(target=keep_sending)
    _project(tmp_path / "p", namespace, bridge_redis, bridge_moto, "v2")
    sender.start()
    try:
        rolled = k8s_deploy(kube_cluster, project, "--image-record", str(events_image))
    finally:
        sender.join(timeout=60)
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    after = {p["metadata"]["name"] for p in _consumer_pods(kube_cluster, namespace)}
    assert before.isdisjoint(after)
    deadline = time.monotonic() + 180
    while _depth(sqs, url) > 0:
        assert time.monotonic() < deadline, _depth(sqs, url)
        time.sleep(0.5)
    charged = [i for i in _ids(redis, "orders:charged") if i >= 1000]
    attempts = [i for i in _ids(redis, "orders:attempts") if i >= 1000]
    assert sorted(charged) == [o["order_id"] for o in load], "an order was lost or charged twice"
    # Drain finished every batch in hand: no message handled twice, even behind idempotency.
    assert sorted(attempts) == sorted(charged)
    logs = kubectl(kube_cluster, "-n", namespace, "logs", sorted(after)[0]).stdout
    first = json.loads(logs.splitlines()[0])
    assert first["service"] == "orders"

    # The same handler file on Lambda (the emulator), sharing the idempotency store: an order
    # the cluster charged is not charged again, a new one is, a failing one is reported.
    event = {
        "Records": [
            _record("m-5", {"order_id": 5}),
            _record("m-new", {"order_id": 7000}),
            _record("m-bad", {"order_id": 7001, "fail": True}),
        ]
    }
    with emulated(
        [*ALOFT_BOOTSTRAP, "orders.handler.handler"],
        cwd=ROOT / "examples" / "events",
        env={"REDIS_URL": bridge_redis},
        concurrency=1,
    ) as (emulator, _, _):
        result = emulator.invoke(json.dumps(event).encode())
    assert result.status == "ok", result.payload
    assert json.loads(result.payload) == {"batchItemFailures": [{"itemIdentifier": "m-bad"}]}
    assert _ids(redis, "orders:charged").count(5) == 1
    assert _ids(redis, "orders:charged").count(7000) == 1


def _record(message_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """An SQS record as Lambda delivers it (AWS's documented event shape)."""
    return {
        "messageId": message_id,
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": json.dumps(body),
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1545082649183",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1545082649185",
        },
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{QUEUE}",
        "awsRegion": "us-east-1",
    }
