"""Each example app under `aloft run`: real server, real Redis, real HTTP, JSON logs from stdout."""

from __future__ import annotations

import json
import re
import time
from collections import Counter

import pytest

from testkit import RedisServer, Server, metric

# (example, the route that reads/writes an item, a PUT body, the template aloft must report)
EXAMPLES = {
    "fastapi": ("/items/{}", {"name": "pen", "price_cents": 250}, "/items/{item_id}", "/fail"),
    "flask": ("/products/{}", {"name": "pen"}, "/products/{product_id}", "/fail"),
    "django": ("/notes/{}/", {"text": "buy pens"}, "/notes/{note_id}/", "/fail/"),
}


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_serves_app_probes_and_exact_metrics(
    example: str, run_server, redis_server: RedisServer
) -> None:
    db = {"fastapi": 1, "flask": 2, "django": 3}[example]
    redis_server.command("-n", str(db), "flushdb")
    item_path, body, template, fail_path = EXAMPLES[example]
    server: Server = run_server(example, redis_db=db)

    for expected_visit in (1, 2, 3):
        reply = server.get("/")
        assert reply.status == 200
        assert (
            next(v for k, v in reply.json().items() if k in ("visits", "views")) == expected_visit
        )
    assert (
        server.request(
            "PUT",
            item_path.format(7),
            body=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        ).status
        == 200
    )
    assert server.get(item_path.format(7)).json() == body
    assert server.get(item_path.format(8)).status == 404
    assert server.get("/no/such/page").status == 404
    assert server.get(fail_path).status == 500

    assert server.get("/healthz").json() == {"status": "ok"}
    ready = server.get("/readyz")
    assert ready.status == 200 and ready.json()["checks"]["redis"]["ok"] is True

    text = server.get("/metrics").body.decode()
    assert metric(text, "http_requests_total", method="GET", route="/", status="200") == 3
    assert metric(text, "http_requests_total", method="PUT", route=template, status="200") == 1
    assert metric(text, "http_requests_total", method="GET", route=template, status="200") == 1
    assert metric(text, "http_requests_total", method="GET", route=template, status="404") == 1
    assert metric(text, "http_requests_total", method="GET", route="<unmatched>", status="404") == 1
    assert metric(text, "http_requests_total", method="GET", route=fail_path, status="500") == 1
    assert metric(text, "http_request_duration_seconds_count", method="GET", route="/") == 3
    assert (
        metric(text, "http_request_duration_seconds_bucket", method="GET", route="/", le="+Inf")
        == 3
    )
    # Probes and /metrics stay out of the RED metrics and the access log.
    assert "/healthz" not in text and "/readyz" not in text and 'route="/metrics"' not in text
    assert metric(text, "http_requests_in_flight") == 0
    assert metric(text, "process_resident_memory_bytes") > 10_000_000

    # A WSGI request's access line is written when the server closes its response, after the
    # last byte: the next request, on another thread, may log first. So the lines are counted,
    # not ordered.
    access = server.access_lines()
    assert Counter((a["method"], a["status"]) for a in access) == {
        ("GET", 200): 4,
        ("PUT", 200): 1,
        ("GET", 404): 2,
        ("GET", 500): 1,
    }
    assert {a["route"] for a in access} >= {"/", template, "<unmatched>"}
    for line in access:
        assert line["service"] and re.fullmatch(r"[0-9a-f]{32}", line["trace_id"])
        assert re.fullmatch(r"[0-9a-f]{16}", line["span_id"]) and line["request_id"]
        assert line["duration_ms"] >= 0
    errors = [
        r for r in server.lines if r.get("level") == "error" and r.get("logger") != "aloft.access"
    ]
    assert errors and "RuntimeError" in errors[0].get("exception", "")
    # Every line on stdout is one JSON object.
    assert all("unparsed" not in r for r in server.lines), [
        r for r in server.lines if "unparsed" in r
    ][:3]
    assert server.terminate() == 0


def test_request_id_and_traceparent_are_honoured_and_propagated(run_server) -> None:
    server: Server = run_server("fastapi")
    trace_id, parent = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    reply = server.get(
        "/report?seconds=0",
        headers={"X-Request-ID": "req-abc-123", "traceparent": f"00-{trace_id}-{parent}-01"},
    )
    assert reply.headers["x-request-id"] == "req-abc-123"
    outgoing = reply.json()["trace"]
    assert outgoing["x-request-id"] == "req-abc-123"
    version, out_trace, out_span, flags = outgoing["traceparent"].split("-")
    assert (version, out_trace, flags) == ("00", trace_id, "01")
    assert out_span != parent and re.fullmatch(r"[0-9a-f]{16}", out_span)
    line = server.wait_for(lambda r: r.get("path") == "/report")
    assert (line["request_id"], line["trace_id"], line["span_id"]) == (
        "req-abc-123",
        trace_id,
        out_span,
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"traceparent": "00-zzzz-nothex-01"},
        {"traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"},
        {"traceparent": "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
        {"traceparent": "x" * 5000},
        {"X-Request-ID": "a" * 500},
        {"X-Request-ID": "bad\x7fid"},
        {"X-Request-ID": "", "traceparent": ""},
    ],
)
@pytest.mark.parametrize("example", ["fastapi", "flask"])
def test_malformed_id_headers_are_ignored_not_fatal(
    example: str, headers: dict[str, str], run_server
) -> None:
    server: Server = run_server(example, redis_db=4)
    reply = server.get("/", headers=headers)
    if reply.status == 400:
        # gunicorn's own parser refuses control characters in headers: a clear error, no crash.
        assert "\x7f" in "".join(headers.values()) and b"Invalid HTTP Header" in reply.body
        assert server.get("/healthz").status == 200
        return
    assert reply.status == 200
    rid = reply.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid), rid  # a fresh id, not the bad one
    line = server.wait_for(
        lambda r: r.get("request_id") == rid and r.get("logger") == "aloft.access"
    )
    assert re.fullmatch(r"[0-9a-f]{32}", line["trace_id"]) and line["trace_id"] != "0" * 32
    # The worker is still alive and serving.
    assert server.get("/healthz").status == 200


@pytest.mark.parametrize("example", ["fastapi", "flask"])
def test_probe_paths_are_configurable_and_can_be_observed(example: str, run_server) -> None:
    server: Server = run_server(
        example,
        redis_db=7,
        env={
            "ALOFT_HEALTH_PATH": "/livez",
            "ALOFT_METRICS_PATH": "/internal/metrics",
            "ALOFT_OBSERVE_PROBES": "true",
        },
    )

    def count(route: str, status: str) -> float:
        text = server.get("/internal/metrics").body.decode()
        return metric(text, "http_requests_total", method="GET", route=route, status=status)

    # A WSGI request is counted just after its last byte reaches the client: the start-up
    # wait's own /livez polls may still land, so the baseline is taken once the count settles.
    live = count("/livez", "200")
    for _ in range(50):
        time.sleep(0.1)
        if (now := count("/livez", "200")) == live:
            break
        live = now
    unmatched = count("<unmatched>", "404")
    assert server.get("/livez").json() == {"status": "ok"}
    assert server.get("/healthz").status == 404  # now an ordinary path of the app
    assert count("/livez", "200") == live + 1
    assert count("<unmatched>", "404") == unmatched + 1
    # Observed probes are logged like any request.
    server.wait_for(lambda r: r.get("logger") == "aloft.access" and r.get("path") == "/healthz")
    assert any(a["path"] == "/livez" and a["route"] == "/livez" for a in server.access_lines())
