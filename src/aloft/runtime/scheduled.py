"""`python -m aloft.runtime.scheduled HANDLER --rule NAME`: one scheduled invocation, off Lambda.

A Kubernetes CronJob runs this once per firing. It loads the same handler Lambda would
(`module.function` or `module:attribute`), builds the event an EventBridge schedule rule sends
Lambda ("Scheduled Event" from aws.events) and calls `handler(event, context)`, so an
`@handler.on_schedule` function cannot tell the two targets apart. A handler that raises makes
the process exit 1, so the Job retries it (backoffLimit, as Lambda retries an async invocation).

What the cluster cannot know is stood in for and documented: `time` is the start of the minute
the pod runs in (the scheduled minute unless the pod started late), `account` is
ALOFT_AWS_ACCOUNT or 000000000000, `region` ALOFT_AWS_REGION or AWS_REGION or us-east-1.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from typing import Any

NO_ACCOUNT = "000000000000"


def scheduled_event(rule: str, now: float, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """The event EventBridge sends a target of schedule rule `rule`, field for field."""
    import time
    import uuid

    env = os.environ if environ is None else environ
    region = env.get("ALOFT_AWS_REGION") or env.get("AWS_REGION") or "us-east-1"
    account = env.get("ALOFT_AWS_ACCOUNT") or NO_ACCOUNT
    minute = int(now) - int(now) % 60
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(minute)),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account}:rule/{rule}"],
        "detail": {},
    }


def invoke(spec: str, rule: str, timeout: float, environ: dict[str, str] | None = None) -> Any:
    """Load `spec` and call it once with a scheduled event and a context whose deadline is
    `timeout` seconds away; the handler's result, or its exception."""
    import time

    from aloft.runtime.aws_lambda.context import LambdaContext
    from aloft.runtime.aws_lambda.runtime_api import load_handler

    handler = load_handler(spec)
    now = time.time()
    event = scheduled_event(rule, now, environ)
    context = LambdaContext(event["id"], int((now + timeout) * 1000), environ=environ)
    return handler(event, context)


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m aloft.runtime.scheduled",
        description="Run one scheduled invocation of a Lambda-style handler (a CronJob's command).",
    )
    parser.add_argument("handler", help="module.function or module:attribute")
    parser.add_argument("--rule", required=True, help="the schedule rule's name, for the event")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds, as on Lambda")
    args = parser.parse_args(argv)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    from aloft.runtime.aws_lambda.secrets import start_error

    # The function's secrets by reference, fetched as Lambda's cold start fetches them.
    error = start_error(os.environ)
    if error:
        sys.stderr.write(error + "\n")
        return 1
    try:
        result = invoke(args.handler, args.rule, args.timeout)
    except Exception as exc:
        import json

        from aloft.runtime.aws_lambda.runtime_api import error_payload

        sys.stderr.write(json.dumps(error_payload(exc)) + "\n")
        return 1
    if result is not None:
        import json

        sys.stdout.write(json.dumps(result, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
