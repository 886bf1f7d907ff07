"""`python -m aloft.runtime.consumer HANDLER --queue NAME`: consume an SQS queue with a Lambda
handler, as the consumer Deployment `aloft k8s render` writes runs it.

HANDLER is the function's Lambda handler (`shop.jobs.handler` or `shop.jobs:handler`). AWS
settings come from the usual variables (AWS_REGION, AWS_ENDPOINT_URL, credentials); the
service, log and probe settings from the ALOFT_* ones every aloft container reads.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

log = logging.getLogger("aloft.consumer")


def load_handler(spec: str) -> Any:
    """A Lambda handler string (`module.function`) or an app spec (`module:function`)."""
    from aloft.runtime.appload import load_app

    if ":" not in spec:
        module, _, attr = spec.rpartition(".")
        spec = f"{module}:{attr}" if module else spec
    return load_app(spec, source="handler")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aloft.runtime.consumer")
    parser.add_argument("handler", help="the Lambda handler, module.function")
    parser.add_argument("--queue", required=True, help="the SQS queue's name (or its URL)")
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--wait", type=int, default=20, help="long-poll seconds (0-20)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per batch")
    args = parser.parse_args(argv)

    from aloft.runtime import logs
    from aloft.runtime.options import ServeOptions

    options = ServeOptions.from_env(os.environ)
    service = options.service or "consumer"
    logs.configure(service, options.log_level, options.log_format)
    # Metrics go to /metrics here; the handler's EMF lines are for CloudWatch on Lambda only.
    os.environ.setdefault("ALOFT_LAMBDA_EMF", "false")
    sys.path.insert(0, os.getcwd())
    from aloft.runtime.aws_lambda.secrets import start_error

    # The function's secrets by reference, fetched as Lambda's cold start fetches them.
    error = start_error(os.environ)
    if error:
        print(error, file=sys.stderr)
        return 1

    try:
        import boto3  # type: ignore[import-untyped]
    except ImportError:
        print(
            "aloft: error: the queue consumer needs boto3 in the image; add aloft-runtime[aws]"
            " (or boto3) to the project's dependencies",
            file=sys.stderr,
        )
        return 1

    from aloft.runtime.consumer import probes
    from aloft.runtime.consumer.loop import Consumer, ConsumerMetrics

    handler = load_handler(args.handler)
    client = boto3.client("sqs")
    try:
        if args.queue.startswith(("http://", "https://")):
            url = args.queue
        else:
            url = client.get_queue_url(QueueName=args.queue)["QueueUrl"]
        attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    except client.exceptions.QueueDoesNotExist:
        print(
            f"aloft: error: --queue {args.queue}: no such queue in {client.meta.region_name};"
            " create it (aloft lambda deploy creates the function's queues) or fix the name",
            file=sys.stderr,
        )
        return 2
    arn = attributes["Attributes"]["QueueArn"]
    name = arn.rsplit(":", 1)[-1]
    consumer = Consumer(
        handler,
        client,
        url,
        arn,
        batch_size=args.batch_size,
        wait_seconds=args.wait,
        timeout=args.timeout,
        metrics=ConsumerMetrics(name),
    )

    def drain(signum: int, frame: object) -> None:
        log.info("draining: no more polling", extra={"signal": signal.Signals(signum).name})
        consumer.stop()

    signal.signal(signal.SIGTERM, drain)
    signal.signal(signal.SIGINT, drain)
    server = probes.serve(consumer, options, options.admin_port or 8081)
    log.info("consuming", extra={"queue": name, "batch_size": consumer.batch_size})
    consumer.run()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
