"""`python -m aloft.runtime.scheduled`: one scheduled invocation off Lambda, with the event a
schedule rule sends, to the same `@handler.on_schedule` function, as a real process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from aloft.runtime.scheduled import scheduled_event

# The sample "Scheduled Event" of the EventBridge user guide (what a schedule rule sends Lambda).
AWS_SAMPLE = {
    "version": "0",
    "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2015-10-08T16:53:06Z",
    "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"],
    "detail": {},
}

JOBS = """
import json, os
from aloft.runtime.aws_lambda import lambda_handler

handler = lambda_handler()

@handler.on_schedule
def tick(event):
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps({"raw": event.raw, "type": type(event).__name__}) + "\\n")
    if os.environ.get("FAIL"):
        raise RuntimeError("the report failed")
    return {"done": event.id}
"""


def _run(folder: Path, out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aloft.runtime.scheduled", "jobs.handler", "--rule", "r-schedule"],
        cwd=folder,
        env={**os.environ, "OUT": str(out), "PYTHONPATH": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_event_is_shaped_as_lambda_gets_it() -> None:
    now = time.time()
    event = scheduled_event("nightly-schedule", now, {"AWS_REGION": "eu-west-1"})
    assert list(event) == list(AWS_SAMPLE)
    assert {k: type(v) for k, v in event.items()} == {k: type(v) for k, v in AWS_SAMPLE.items()}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00Z", event["time"])
    assert event["time"] == time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(now))
    assert event["resources"] == ["arn:aws:events:eu-west-1:000000000000:rule/nightly-schedule"]
    assert re.fullmatch(r"[0-9a-f-]{36}", event["id"])
    assert event["detail"] == {}


def test_one_run_calls_the_on_schedule_handler_and_a_failure_exits_1(tmp_path: Path) -> None:
    (tmp_path / "jobs.py").write_text(textwrap.dedent(JOBS))
    out = tmp_path / "calls.jsonl"
    ok = _run(tmp_path, out, ALOFT_AWS_ACCOUNT="123456789012", ALOFT_AWS_REGION="eu-west-1")
    assert ok.returncode == 0, ok.stderr
    (call,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert call["type"] == "ScheduledEvent"
    assert call["raw"]["source"] == "aws.events"
    assert call["raw"]["resources"] == ["arn:aws:events:eu-west-1:123456789012:rule/r-schedule"]
    assert json.loads(ok.stdout) == {"done": call["raw"]["id"]}

    failed = _run(tmp_path, out, FAIL="1")
    assert failed.returncode == 1
    error = json.loads(failed.stderr.strip().splitlines()[-1])
    assert (error["errorType"], error["errorMessage"]) == ("RuntimeError", "the report failed")
    assert len(out.read_text().splitlines()) == 2


def test_a_missing_handler_fails_the_run(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "aloft.runtime.scheduled", "nowhere.handler", "--rule", "r"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert json.loads(result.stderr.strip().splitlines()[-1])["errorType"] == "ModuleNotFoundError"
