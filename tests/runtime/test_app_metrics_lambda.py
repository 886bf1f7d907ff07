"""Application metrics on Lambda: CloudWatch EMF lines after each invocation that changed any.

Run in the emulator's execution environments, with aloft's own Runtime API client and with
AWS's awslambdaric; the EMF document is checked against the specification's rules (members
named by the directive at the root, dimension values strings, at most 100 metrics per
directive and 100 values per metric).
"""

from __future__ import annotations

import json
import logging
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from aloft.runtime.aws_lambda import emf
from aloft.serverless.emulator import Emulator, FunctionSpec
from aloft.serverless.http_events import http_event

SHOP = """
from aloft.runtime import metrics

orders = metrics.counter("orders_total", "Orders placed", labels=("kind",))
checkout = metrics.histogram("checkout_seconds", "Checkout time", buckets=(0.1, 1.0))
carts = metrics.gauge("open_carts", "Carts open now")


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    kind = scope["path"].strip("/") or "plain"
    if kind != "nothing":
        orders.labels(kind=kind).inc()
        orders.labels(kind=kind).inc()
        checkout.observe(0.05)
        checkout.observe(2.5)
        carts.set(3)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
"""

ENTRY = "aloft.runtime.aws_lambda.entry.handler"  # what the image's CMD names for awslambdaric
CLIENTS = {
    "aloft": [sys.executable, "-m", "aloft.runtime.aws_lambda"],
    "awslambdaric": [sys.executable, "-m", "awslambdaric", ENTRY],
}


def emf_lines(lines: list[str]) -> list[dict[str, Any]]:
    """The EMF documents among a function's output lines, checked against the spec."""
    found = []
    for line in lines:
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if not isinstance(doc, dict) or "_aws" not in doc:
            continue
        meta = doc["_aws"]
        assert isinstance(meta["Timestamp"], int)
        for directive in meta["CloudWatchMetrics"]:
            assert len(directive["Metrics"]) <= 100
            for dimension_set in directive["Dimensions"]:
                assert len(dimension_set) <= 30
                for key in dimension_set:
                    assert isinstance(doc[key], str) and doc[key].isascii() and doc[key]
            for metric in directive["Metrics"]:
                value = doc[metric["Name"]]
                assert isinstance(value, (int, float)) or len(value) <= 100
        found.append(doc)
    return found


def app_docs(lines: list[str]) -> list[dict[str, Any]]:
    return [d for d in emf_lines(lines) if "http_requests_total" not in d]


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_app_metrics_go_out_as_emf_after_each_invocation(client: str, tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text(textwrap.dedent(SHOP))
    lines: list[str] = []
    spec = FunctionSpec("shop", CLIENTS[client], tmp_path, {"ALOFT_APP": "shop:app"}, concurrency=1)
    emulator = Emulator(spec, output=lines.append)
    try:
        for path in ("/gift", "/gift", "/nothing"):
            payload = json.dumps(http_event("v2", "GET", path, "", [("host", "h")])).encode()
            result = emulator.invoke(payload)
            assert result.status == "ok", result.payload
    finally:
        emulator.close()
    docs = app_docs(lines)
    # Two invocations changed metrics, the third none: two documents per changed invocation
    # (the gift orders by kind; the unlabelled histogram and gauge by service alone).
    by_kind = [d for d in docs if d.get("kind") == "gift"]
    assert [d["orders_total"] for d in by_kind] == [2, 2]  # increases, not running totals
    directive = by_kind[0]["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "aloft"
    assert directive["Dimensions"] == [["service", "kind"]]
    assert directive["Metrics"] == [{"Name": "orders_total", "Unit": "Count"}]
    assert by_kind[0]["service"] == "shop"
    plain = [d for d in docs if "kind" not in d]
    assert [d["checkout_seconds"] for d in plain] == [[0.05, 2.5], [0.05, 2.5]]
    assert plain[0]["open_carts"] == 3 and "open_carts" not in plain[1]  # a gauge, when it moves
    units = {m["Name"]: m["Unit"] for m in plain[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert units == {"checkout_seconds": "Seconds", "open_carts": "None"}
    assert len(docs) == 4


def test_more_than_100_metrics_or_values_are_split_over_documents() -> None:
    from aloft.runtime import metrics

    many = [metrics.counter(f"l2_thing_{i}_total", "A thing") for i in range(150)]
    burst = metrics.histogram("l2_burst_seconds", "Burst", labels=("when",), buckets=(1.0,))
    emf.app_lines("ns", "svc")  # whatever other tests left behind goes out first
    for counter in many:
        counter.inc()
    for i in range(250):
        burst.labels(when="now").observe(i / 100)
    docs = emf_lines(emf.app_lines("ns", "svc").splitlines())
    counted = {k: v for d in docs for k, v in d.items() if k.startswith("l2_thing_")}
    assert counted == {f"l2_thing_{i}_total": 1 for i in range(150)}
    bursts = [d["l2_burst_seconds"] for d in docs if "l2_burst_seconds" in d]
    assert [len(b) for b in bursts] == [100, 100, 50]
    assert [v for b in bursts for v in b] == [i / 100 for i in range(250)]
    assert emf.app_lines("ns", "svc") == ""  # nothing changed since: nothing to write


def test_a_label_value_outside_ascii_is_escaped_for_cloudwatch() -> None:
    from aloft.runtime import metrics

    emf.app_lines("ns", "svc")
    metrics.counter("l3_cafe_total", "Cafés", labels=("name",)).labels(name="café").inc()
    (doc,) = emf_lines(emf.app_lines("ns", "svc").splitlines())
    assert doc["name"] == "caf\\xe9" and doc["l3_cafe_total"] == 1


def test_a_value_cloudwatch_cannot_take_is_left_out_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from aloft.runtime import metrics

    emf.app_lines("ns", "svc")
    level = metrics.gauge("l4_level", "Level")
    sizes = metrics.histogram("l4_size_bytes", "Sizes", buckets=(1.0,))
    level.set(float("nan"))
    sizes.observe(float("inf"))
    sizes.observe(2.0)
    with caplog.at_level(logging.WARNING, logger="aloft.metrics"):
        text = emf.app_lines("ns", "svc")
        level.set(float("inf"))
        text += emf.app_lines("ns", "svc")
    (doc,) = emf_lines(text.splitlines())  # valid JSON: no NaN, no Infinity
    assert doc["l4_size_bytes"] == [2.0] and "l4_level" not in doc
    assert [m["Unit"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]] == ["Bytes"]
    warned = [r.getMessage() for r in caplog.records if "CloudWatch cannot take" in r.getMessage()]
    assert len(warned) == 2 and "l4_level" in warned[0] + warned[1]
