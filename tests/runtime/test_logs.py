"""JSON log lines: fields, ids, redaction and request-level sampling."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator

import pytest

from aloft.runtime import logs, tracing
from aloft.runtime.settings import Secret


@pytest.fixture
def captured() -> Iterator[list[dict[str, object]]]:
    """Route the root logger through aloft's handler into a real pipe; yields the parsed lines."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    saved_module = (logs._handler, logs._service, logs._service_field)
    logs.configure("svc", "debug")
    root.handlers[0].fd = write_fd  # type: ignore[attr-defined]
    access = logging.getLogger("aloft.access")
    access.disabled = False
    lines: list[dict[str, object]] = []

    def drain() -> list[dict[str, object]]:
        try:
            data = os.read(read_fd, 1 << 20)
        except BlockingIOError:
            data = b""
        lines.extend(json.loads(line) for line in data.decode().splitlines())
        return lines

    yield drain  # type: ignore[misc]
    root.handlers[:], root.level = saved
    logs._handler, logs._service, logs._service_field = saved_module
    os.close(read_fd)
    os.close(write_fd)


def test_lines_carry_service_level_logger_and_extra_fields(captured) -> None:
    logging.getLogger("shop").info("paid %s", "order-1", extra={"amount_cents": 1250})
    (line,) = captured()
    assert line["level"] == "info" and line["logger"] == "shop" and line["service"] == "svc"
    assert line["message"] == "paid order-1" and line["amount_cents"] == 1250
    assert str(line["time"]).endswith("Z") and "request_id" not in line


def test_lines_inside_a_request_carry_its_ids(captured) -> None:
    ctx = tracing.start("rid-7", None, sampled=True)
    token = tracing.current.set(ctx)
    try:
        logging.getLogger("shop").warning("slow")
    finally:
        tracing.current.reset(token)
    (line,) = captured()
    assert (line["request_id"], line["trace_id"], line["span_id"]) == (
        "rid-7",
        ctx.trace_id,
        ctx.span_id,
    )


def test_exceptions_are_one_line_with_the_traceback_inside(captured) -> None:
    try:
        raise ValueError("bad thing")
    except ValueError:
        logging.getLogger("shop").exception("failed")
    (line,) = captured()
    assert "ValueError: bad thing" in str(line["exception"]) and "Traceback" in str(
        line["exception"]
    )


def test_secret_values_are_redacted_from_every_line(captured) -> None:
    secret = Secret("tok-9f8e7d6c5b4a")
    logging.getLogger("shop").info(
        "calling with tok-9f8e7d6c5b4a", extra={"header": f"Bearer {secret.reveal()}"}
    )
    (line,) = captured()
    assert "tok-9f8e7d6c5b4a" not in json.dumps(line)
    assert line["message"] == "calling with **********" and line["header"] == "Bearer **********"


def test_unsampled_request_drops_info_but_keeps_the_whole_story_on_error(captured) -> None:
    log = logging.getLogger("shop")
    # A quiet unsampled request: nothing at all is written.
    held = logs.begin_request(sampled=False)
    log.info("step 1")
    logs.access("GET", "/quiet", "/quiet", 200, 0.001)
    logs.end_request(held)
    assert captured() == []
    # An unsampled request that fails: its earlier info lines come out, in order, with the error.
    held = logs.begin_request(sampled=False)
    log.debug("step a")
    log.info("step b")
    log.error("it broke")
    log.info("after the error")
    logs.access("GET", "/broken", "/broken", 500, 0.002)
    logs.end_request(held)
    messages = [(line["level"], line["message"]) for line in captured()]
    assert messages == [
        ("debug", "step a"),
        ("info", "step b"),
        ("error", "it broke"),
        ("info", "after the error"),
        ("error", "request"),
    ]


def test_access_line_matches_the_record_format(captured) -> None:
    ctx = tracing.start("rid/7+x", None, sampled=True)
    token = tracing.current.set(ctx)
    try:
        logs.access("GET", '/items/ünï"code', "/items/{item_id}", 404, 0.0123456)
    finally:
        tracing.current.reset(token)
    (line,) = captured()
    assert list(line) == [
        "time",
        "level",
        "logger",
        "message",
        "service",
        "request_id",
        "trace_id",
        "span_id",
        "method",
        "path",
        "route",
        "status",
        "duration_ms",
    ]
    assert line["request_id"] == "rid/7+x" and line["path"] == '/items/ünï"code'
    assert (line["status"], line["duration_ms"], line["level"]) == (404, 12.346, "info")


def test_sampled_requests_write_everything(captured) -> None:
    held = logs.begin_request(sampled=True)
    logging.getLogger("shop").info("kept")
    logs.access("GET", "/", "/", 200, 0.001)
    logs.end_request(held)
    assert [line["message"] for line in captured()] == ["kept", "request"]


def test_asgi_requests_of_one_loop_turn_are_recorded_together_and_keep_their_story(
    captured, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under an event loop, requests are recorded once per loop turn (one write for all of
    them); an unsampled request that fails still brings its held-back lines with it."""
    import asyncio

    # Another test of this process may have configured OpenTelemetry, whose traced requests
    # write their lines at once: this one is about an app without it.
    monkeypatch.setattr(tracing, "otel_active", lambda: False)

    from aloft.runtime import metrics
    from aloft.runtime.asgi import AloftASGI
    from aloft.runtime.options import ServeOptions

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        failing = scope["path"] == "/fail"
        logging.getLogger("shop").info("handling %s", scope["path"])
        await send({"type": "http.response.start", "status": 500 if failing else 200})
        await send({"type": "http.response.body", "body": b""})

    wrapped = AloftASGI(app, ServeOptions(app="x", log_sample_rate=0.0))

    async def call(path: str) -> None:
        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": b""}

        async def send(message: object) -> None:
            pass

        scope = {"type": "http", "method": "GET", "path": path, "headers": [], "root_path": ""}
        await wrapped(scope, receive, send)

    before = metrics.get().totals()

    async def burst() -> list[dict[str, object]]:
        for path in ("/ok", "/fail", "/ok"):  # none of them waits: all finish in this turn
            await call(path)
        in_the_same_turn = [line for line in captured() if line["logger"] != "asyncio"]
        await asyncio.sleep(0)  # the next turn records them
        return in_the_same_turn

    assert asyncio.run(burst()) == []
    lines = [line for line in captured() if line["logger"] != "asyncio"]
    assert [(line["message"], line.get("path")) for line in lines] == [
        ("handling /fail", None),
        ("request", "/fail"),
    ]
    assert lines[1]["level"] == "error" and lines[0]["request_id"] == lines[1]["request_id"]
    after = metrics.get().totals()
    key = metrics.REQUESTS + metrics.SEP + "GET" + metrics.SEP + metrics.UNMATCHED + metrics.SEP
    assert after.get(key + "200", 0) - before.get(key + "200", 0) == 2
    assert after.get(key + "500", 0) - before.get(key + "500", 0) == 1


def test_a_request_in_progress_is_in_flight_from_the_next_loop_turn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio

    from aloft.runtime import metrics
    from aloft.runtime.asgi import AloftASGI
    from aloft.runtime.options import ServeOptions

    monkeypatch.setattr(tracing, "otel_active", lambda: False)
    release = asyncio.Event()

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        await release.wait()  # a slow request: waiting on its database, say
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": b""})

    wrapped = AloftASGI(app, ServeOptions(app="x", access_log=False))

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    async def send(message: object) -> None:
        pass

    def in_flight() -> float:
        return metrics.get().totals().get(metrics.IN_FLIGHT, 0.0)

    async def scenario() -> list[float]:
        before = in_flight()
        scope = {"type": "http", "method": "GET", "path": "/slow", "headers": [], "root_path": ""}
        task = asyncio.get_running_loop().create_task(wrapped(scope, receive, send))
        for _ in range(3):
            await asyncio.sleep(0)
        during = in_flight()
        release.set()
        await task
        await asyncio.sleep(0)
        return [during - before, in_flight() - before]

    assert asyncio.run(scenario()) == [1.0, 0.0]


def _strict_loads(text: str) -> dict[str, object]:
    def refuse(constant: str) -> object:
        raise ValueError(f"not JSON: bare {constant}")

    return json.loads(text, parse_constant=refuse)  # type: ignore[no-any-return]


def test_nan_and_infinity_in_a_field_are_written_as_null(captured) -> None:
    read_fd, write_fd = os.pipe()
    handler = logging.getLogger().handlers[0]
    saved_fd = handler.fd  # type: ignore[attr-defined]
    handler.fd = write_fd  # type: ignore[attr-defined]
    try:
        logging.getLogger("shop").info(
            "ratio",
            extra={
                "ratio": float("nan"),
                "peak": float("inf"),
                "deep": {"x": [float("-inf"), 1.5]},
            },
        )
    finally:
        handler.fd = saved_fd  # type: ignore[attr-defined]
        os.close(write_fd)
    raw = os.read(read_fd, 1 << 16).decode()
    os.close(read_fd)
    line = _strict_loads(raw)  # a strict parser: bare NaN/Infinity would raise
    assert line["ratio"] is None and line["peak"] is None
    assert line["deep"] == {"x": [None, 1.5]} and line["message"] == "ratio"


def _pem_key() -> str:
    import subprocess

    done = subprocess.run(
        ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize("shape", ["pem", "service-account-json", "quotes-backslash-tab"])
def test_secrets_with_newlines_quotes_backslashes_and_tabs_are_redacted_in_every_spelling(
    captured, shape: str
) -> None:
    pem = _pem_key()
    value = {
        "pem": pem,
        "service-account-json": json.dumps(
            {
                "type": "service_account",
                "project_id": "shop-prod-381207",
                "private_key_id": "7c2b9d1e0f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c",
                "private_key": pem,
                "client_email": "deployer@shop-prod-381207.iam.gserviceaccount.com",
            },
            indent=2,
        ),
        "quotes-backslash-tab": "p\"w\\d\t0rd'-7Xq-long-enough",
    }[shape]
    secret = Secret(value)
    log = logging.getLogger("shop")
    log.info("raw %s", secret.reveal())
    log.info("repr %r", secret.reveal())
    log.info("in a dict %s", {"credentials": secret.reveal()})
    log.info(
        "as a field", extra={"blob": secret.reveal(), "doc": json.dumps({"k": secret.reveal()})}
    )
    try:
        raise ValueError(f"could not parse {secret.reveal()!r}")
    except ValueError:
        log.exception("failed")
    lines = captured()
    assert len(lines) == 5
    forbidden = {value, repr(value)[1:-1], json.dumps(value)[1:-1]}
    forbidden |= {line.strip() for line in value.splitlines() if len(line.strip()) >= 16}
    if shape == "service-account-json":
        forbidden |= {pem, json.dumps(pem)[1:-1]}
    for line in lines:
        text = " ".join(_strings(line))
        leaked = [f for f in forbidden if f in text]
        assert not leaked, (line["message"], leaked[:1])
    assert all("**********" in " ".join(_strings(line)) for line in lines)


def test_a_credential_nobody_registered_is_masked_on_warnings_and_errors() -> None:
    """A connection error prints its DSN, password included: the shared secret detector masks it
    on warning and error lines (the ones that carry such errors), not on every info line."""
    import json

    from aloft.runtime import logs

    dsn = "redis://:s3cretPassw0rd@cache.internal:6379/0"
    token = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    for level in ("warning", "error"):
        line = logs.render({"level": level, "message": f"Error connecting to {dsn} with {token}"})
        record = json.loads(line)
        assert "s3cretPassw0rd" not in line and token not in line
        assert "cache.internal:6379" in record["message"]  # the rest of the message stays
    info = logs.render({"level": "info", "message": "GET /items?page=2 200"})
    assert json.loads(info)["message"] == "GET /items?page=2 200"


def test_a_new_field_plugs_in_with_one_processor(captured) -> None:
    def add_region(fields: dict[str, object]) -> dict[str, object]:
        fields["region"] = "eu-west-1"
        return fields

    logs.add_processor(add_region)
    try:
        logging.getLogger("shop").info("paid", extra={"order": 1})
    finally:
        logs.ENRICH.remove(add_region)
    (line,) = captured()
    assert line["region"] == "eu-west-1" and line["order"] == 1
    # after aloft's own fields, before the record's extras
    keys = list(line)
    assert keys.index("service") < keys.index("region") < keys.index("order")
