"""The adapter: HTTP events of each source in, well-formed responses of the same source out."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from flask import Flask, request

from aloft.runtime.aws_lambda import UnknownEventError, lambda_handler
from aloft.runtime.aws_lambda.sources import source_for
from lambdakit import ECHO_LIFESPAN, Context, echo_asgi, event, header


@pytest.fixture(scope="module")
def asgi() -> Any:
    return lambda_handler(echo_asgi)


def body(response: dict[str, Any]) -> Any:
    raw = response["body"]
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(raw)
    return json.loads(raw)


def test_each_event_format_is_owned_by_its_own_source() -> None:
    names = {fmt: source_for(event(fmt)).NAME for fmt in ("v2", "v1", "alb", "url")}  # type: ignore[union-attr]
    assert names == {"v2": "apigw-v2", "v1": "apigw-v1", "alb": "alb", "url": "function-url"}


def test_v2_request_reaches_the_app_with_path_query_cookies_and_body(asgi: Any) -> None:
    ev = event(
        "v2",
        "POST",
        "/orders/7",
        "a=1&a=2&b=x%20y",
        [("host", "h"), ("cookie", "s=1; t=2"), ("content-type", "application/json")],
        b'{"n": 1}',
    )
    response = asgi(ev, Context())
    assert response["statusCode"] == 201
    seen = body(response)
    assert (seen["method"], seen["path"], seen["query"]) == ("POST", "/orders/7", "a=1&a=2&b=x%20y")
    assert ["cookie", "s=1; t=2"] in seen["headers"]
    assert seen["body"] == '{"n": 1}'
    assert seen["has_event"]


def test_v2_response_carries_cookies_in_their_own_field_and_joins_repeated_headers(
    asgi: Any,
) -> None:
    response = asgi(event("v2"), Context())
    assert response["cookies"] == ["a=1", "b=2"]
    assert response["headers"]["x-multi"] == "one, two"
    assert "set-cookie" not in response["headers"]


def test_v2_stage_is_stripped_into_root_path(asgi: Any) -> None:
    seen = body(asgi(event("v2", path="/items", stage="prod"), Context()))
    assert (seen["root_path"], seen["path"]) == ("/prod", "/prod/items")


def test_v1_multi_value_query_and_headers_and_stage_root_path(asgi: Any) -> None:
    ev = event(
        "v1",
        "GET",
        "/items",
        "tag=a&tag=b",
        [("host", "h"), ("x-k", "1"), ("x-k", "2")],
        stage="prod",
    )
    response = asgi(ev, Context())
    seen = body(response)
    assert seen["query"] == "tag=a&tag=b"
    assert ["x-k", "1"] in seen["headers"] and ["x-k", "2"] in seen["headers"]
    assert (seen["root_path"], seen["path"]) == ("/prod", "/prod/items")
    assert response["multiValueHeaders"]["set-cookie"] == ["a=1", "b=2"]
    assert response["multiValueHeaders"]["x-multi"] == ["one", "two"]


def test_alb_answers_in_the_header_form_it_was_sent(asgi: Any) -> None:
    multi = asgi(event("alb-multi", query="q=a%20b"), Context())
    assert multi["multiValueHeaders"]["set-cookie"] == ["a=1", "b=2"]
    assert multi["statusDescription"] == "201 Created"
    assert body(multi)["query"] == "q=a+b"
    single = asgi(event("alb"), Context())
    assert "multiValueHeaders" not in single
    assert single["headers"]["x-multi"] == "one, two"
    cookies = sorted(v for k, v in single["headers"].items() if k.lower() == "set-cookie")
    assert cookies == ["a=1", "b=2"]


def test_binary_bodies_go_in_and_out_as_base64(asgi: Any) -> None:
    payload = bytes(range(256))
    ev = event("v2", "POST", "/raw", headers=[("content-type", "image/png")], body=payload)
    assert ev["isBase64Encoded"]
    response = asgi(ev, Context())
    assert response["isBase64Encoded"]
    assert base64.b64decode(response["body"]) == payload


def test_text_responses_are_not_base64(asgi: Any) -> None:
    ev = event("v2", "POST", "/raw", headers=[("content-type", "text/plain")], body=b"hello")
    response = asgi(ev, Context())
    assert (response["body"], response["isBase64Encoded"]) == ("hello", False)


def test_custom_domain_base_path_is_stripped_when_configured() -> None:
    handler = lambda_handler(echo_asgi, base_path="/api", lifespan=False)
    seen = body(handler(event("v2", path="/api/items"), Context()))
    assert (seen["root_path"], seen["path"]) == ("/api", "/api/items")


def test_lambda_request_id_and_xray_trace_become_the_request_ids(
    asgi: Any, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without logs.configure (the Lambda process does it) the access logger inherits WARNING.
    monkeypatch.setattr(logging.getLogger("aloft.access"), "level", logging.INFO)
    logging.getLogger("aloft.access")._cache.clear()  # type: ignore[attr-defined]
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    response = asgi(event("v2", path="/traced"), Context("req-abc", trace=trace))
    assert header(response, "x-request-id") == ["req-abc"]
    lines = [
        json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith("{")
    ]
    access = next(line for line in lines if line.get("logger") == "aloft.access")
    assert access["request_id"] == "req-abc"
    assert access["trace_id"] == "5759e988bd862e3fe1be46a994272793"
    emf = next(line for line in lines if "_aws" in line)
    assert emf["http_requests_total"] == 1 and emf["status_code"] == "201"
    assert emf is access  # the metrics ride on the access line: one write per request
    assert emf["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"] == "http_requests_total"


def test_a_callers_request_id_wins_over_lambdas(asgi: Any) -> None:
    response = asgi(event("v2", headers=[("x-request-id", "mine-1")]), Context("req-abc"))
    assert header(response, "x-request-id") == ["mine-1"]


def test_app_exception_is_a_well_formed_500(asgi: Any) -> None:
    response = asgi(event("v1", path="/boom"), Context())
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"error": "internal server error"}


def test_malformed_http_event_is_a_400_in_the_sources_format(asgi: Any) -> None:
    ev = event("v2")
    ev["isBase64Encoded"] = True
    ev["body"] = "not base64!!"
    response = asgi(ev, Context())
    assert response["statusCode"] == 400
    assert "base64" in json.loads(response["body"])["error"]


def test_unknown_event_is_a_clear_error_naming_it(asgi: Any) -> None:
    with pytest.raises(UnknownEventError, match="keys foo"):
        asgi({"foo": 1}, Context())


def test_lifespan_starts_once_per_environment_and_stops_on_shutdown() -> None:
    ECHO_LIFESPAN.clear()
    handler = lambda_handler(echo_asgi)
    for _ in range(5):
        assert handler(event("v2"), Context())["statusCode"] == 201
    assert ECHO_LIFESPAN == ["startup"]
    handler.shutdown()
    assert ECHO_LIFESPAN == ["startup", "shutdown"]


def flask_app() -> Flask:
    app = Flask("lambda-test")

    @app.route("/hello/<name>", methods=["GET", "POST"])
    def hello(name: str) -> Any:
        response = app.response_class(
            json.dumps(
                {
                    "name": name,
                    "args": request.args.getlist("x"),
                    "script_root": request.script_root,
                    "cookie": request.cookies.get("s"),
                    "body": request.get_data(as_text=True),
                    "has_event": "aws.event" in request.environ,
                }
            ),
            mimetype="application/json",
        )
        response.set_cookie("c1", "1")
        response.set_cookie("c2", "2")
        return response

    return app


@pytest.mark.parametrize("fmt", ["v2", "v1", "alb-multi", "url"])
def test_wsgi_apps_are_served_from_every_source(fmt: str) -> None:
    handler = lambda_handler(flask_app())
    ev = event(fmt, "POST", "/hello/ann", "x=1&x=2", [("host", "h"), ("cookie", "s=v")], b"data")  # type: ignore[arg-type]
    response = handler(ev, Context())
    assert response["statusCode"] == 200
    seen = body(response)
    assert seen == {
        "name": "ann",
        "args": ["1", "2"],
        "script_root": "",
        "cookie": "v",
        "body": "data",
        "has_event": True,
    }
    assert sorted(c.split(";")[0] for c in header(response, "set-cookie")) == ["c1=1", "c2=2"]


def test_wsgi_stage_becomes_script_name() -> None:
    handler = lambda_handler(flask_app())
    seen = body(handler(event("v1", path="/hello/bo", stage="dev"), Context()))
    assert seen["script_root"] == "/dev"


def test_event_only_handler_serves_no_http() -> None:
    handler = lambda_handler()
    with pytest.raises(UnknownEventError, match="no handler for an event with keys"):
        handler(event("v2"), Context())


def test_lambda_switches_read_one_set_of_words_and_refuse_a_typo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aloft.runtime.aws_lambda.runtime_api import streaming_enabled
    from aloft.runtime.exceptions import ConversionError

    monkeypatch.setenv("ALOFT_LAMBDA_PROBES", "on")
    assert lambda_handler(echo_asgi, lifespan=False).probes is True
    monkeypatch.setenv("ALOFT_LAMBDA_PROBES", "  ")
    assert lambda_handler(echo_asgi, lifespan=False).probes is False  # blank: the default
    monkeypatch.setenv("ALOFT_LAMBDA_PROBES", "maybe")
    with pytest.raises(ConversionError, match="ALOFT_LAMBDA_PROBES"):
        lambda_handler(echo_asgi, lifespan=False)
    assert streaming_enabled({"ALOFT_LAMBDA_STREAM": "Yes"}) is True
    assert streaming_enabled({"ALOFT_LAMBDA_STREAM": "off"}) is False
    with pytest.raises(ConversionError, match="ALOFT_LAMBDA_STREAM"):
        streaming_enabled({"ALOFT_LAMBDA_STREAM": "stream"})
