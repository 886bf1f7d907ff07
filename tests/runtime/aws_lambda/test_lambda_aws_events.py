"""The adapter on events shaped as AWS documents them (the events folder here), one defect each.

Each test names what AWS sends, changes only the field under test, and asserts what the app
sees; each failed before its fix.
"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse
from starlette.routing import Route

from aloft.runtime.aws_lambda import lambda_handler
from lambdakit import Context

EVENTS = Path(__file__).parent / "events"


def aws_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return copy.deepcopy(event)


async def seen(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers with the ASGI scope it was given (the parts a framework builds URLs from)."""
    assert scope["type"] == "http"
    payload = {
        "scheme": scope["scheme"],
        "server": list(scope["server"]),
        "path": scope["path"],
        "raw_path": scope["raw_path"].decode("latin-1"),
        "root_path": scope["root_path"],
        "query": parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True),
    }
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": json.dumps(payload).encode()})


def scope_for(event: dict[str, Any]) -> dict[str, Any]:
    response = lambda_handler(seen, lifespan=False)(event, Context())
    assert response["statusCode"] == 200, response
    answer: dict[str, Any] = json.loads(response["body"])
    return answer


# 1. ALB passes the query undecoded, as a form: `+` is a space there.


def test_alb_query_plus_reaches_the_app_as_a_space() -> None:
    event = aws_event("alb")
    event["queryStringParameters"] = {"q": "a+b", "tag": "x%2By"}
    assert scope_for(event)["query"] == {"q": ["a b"], "tag": ["x+y"]}


def test_alb_multi_value_query_plus_reaches_the_app_as_a_space() -> None:
    event = aws_event("alb")
    event["multiValueHeaders"] = {k: [v] for k, v in event.pop("headers").items()}
    event["multiValueQueryStringParameters"] = {"q": ["a+b", "c%20d"]}
    del event["queryStringParameters"]
    assert scope_for(event)["query"] == {"q": ["a b", "c d"]}


# 2. ALB's X-Forwarded-Proto / X-Forwarded-Port name the listener the client used.


def test_alb_http_listener_gives_the_app_http_and_port_80() -> None:
    event = aws_event("alb")  # AWS's own example: x-forwarded-proto http, x-forwarded-port 80
    scope = scope_for(event)
    assert scope["scheme"] == "http"
    assert scope["server"] == ["lambda-alb-123578498.us-east-2.elb.amazonaws.com", 80]


def test_alb_redirect_built_by_the_framework_points_at_the_listeners_scheme() -> None:
    async def go(request: Request) -> RedirectResponse:
        return RedirectResponse(str(request.url_for("target")), status_code=302)

    async def target(request: Request) -> PlainTextResponse:
        return PlainTextResponse("here")

    app = Starlette(routes=[Route("/lambda", go), Route("/target", target, name="target")])
    handler = lambda_handler(app, lifespan=False)
    response = handler(aws_event("alb"), Context())
    assert response["statusCode"] == 302
    assert response["headers"]["location"] == (
        "http://lambda-alb-123578498.us-east-2.elb.amazonaws.com/target"
    )
    https = aws_event("alb")
    https["headers"].update({"x-forwarded-proto": "https", "x-forwarded-port": "443"})
    response = handler(https, Context())
    assert response["headers"]["location"] == (
        "https://lambda-alb-123578498.us-east-2.elb.amazonaws.com/target"
    )


# 3. REST API: `path` and `requestContext.path` both arrive %-encoded; the stage stays root_path.


def test_rest_api_keeps_the_stage_for_a_path_with_percent_escapes() -> None:
    event = aws_event("apigw_v1")
    event["path"] = "/files/a%20b"
    event["resource"] = event["requestContext"]["resourcePath"] = "/files/{name}"
    event["requestContext"].update({"path": "/prod/files/a%20b", "stage": "prod"})
    scope = scope_for(event)
    assert (scope["root_path"], scope["path"]) == ("/prod", "/prod/files/a b")
    assert scope["raw_path"] == "/prod/files/a%20b"


# 4. HTTP API: `rawPath` arrives %-decoded already; Function URLs pass it as sent.


def test_http_api_raw_path_is_not_decoded_twice() -> None:
    event = aws_event("apigw_v2")
    # A client asked for /files/a%252Fb; the HTTP API decoded it once into this rawPath.
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/files/a%2Fb"
    scope = scope_for(event)
    assert scope["path"] == "/files/a%2Fb"
    assert scope["raw_path"] == "/files/a%2Fb"


def test_function_url_raw_path_is_decoded_once() -> None:
    event = aws_event("function_url")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/files/a%20b%2Fc"
    scope = scope_for(event)
    assert scope["path"] == "/files/a b/c"
    assert scope["raw_path"] == "/files/a%20b%2Fc"


# 5. A lone surrogate in the path is the event's fault (400), as it is in a header.


@pytest.mark.parametrize("name", ["apigw_v2", "function_url", "apigw_v1", "alb"])
def test_lone_surrogate_in_the_path_is_a_400_not_an_app_error(
    name: str, caplog: pytest.LogCaptureFixture
) -> None:
    event = aws_event(name)
    if "rawPath" in event:
        event["rawPath"] = "/files/\ud800"
    else:
        event["path"] = "/files/\ud800"
    handler = lambda_handler(seen, lifespan=False)
    with caplog.at_level(logging.ERROR, logger="aloft.lambda"):
        response = handler(event, Context())
    assert response["statusCode"] == 400
    assert "surrogate" in response["body"]
    assert not [r for r in caplog.records if "unhandled error" in r.getMessage()]


# 8. On Lambda aloft's /healthz, /readyz and /metrics are off unless asked for.


def _routes_app() -> Starlette:
    async def mine(request: Request) -> JSONResponse:
        return JSONResponse({"route": request.url.path})

    paths = ("/healthz", "/readyz", "/metrics")
    return Starlette(routes=[Route(path, mine, methods=["GET", "POST"]) for path in paths])


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_the_apps_own_probe_paths_reach_the_app_on_lambda(path: str) -> None:
    event = aws_event("apigw_v2")
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    response = lambda_handler(_routes_app(), lifespan=False)(event, Context())
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"route": path}


def test_a_public_api_does_not_expose_aloft_metrics_by_default() -> None:
    async def nothing(request: Request) -> PlainTextResponse:
        return PlainTextResponse("app", status_code=404)

    event = aws_event("apigw_v2")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/metrics"
    response = lambda_handler(Starlette(routes=[Route("/", nothing)]), lifespan=False)(
        event, Context()
    )
    assert response["statusCode"] == 404
    assert "http_requests" not in response["body"]


def test_probes_are_opt_in_by_argument_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    event = aws_event("apigw_v2")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/healthz"
    response = lambda_handler(_routes_app(), lifespan=False, probes=True)(event, Context())
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) != {"route": "/healthz"}  # aloft's own answer
    monkeypatch.setenv("ALOFT_LAMBDA_PROBES", "true")
    response = lambda_handler(_routes_app(), lifespan=False)(event, Context())
    assert json.loads(response["body"]) != {"route": "/healthz"}


@pytest.mark.parametrize("fmt", ["alb", "alb-multi"])
def test_through_the_emulators_alb_a_redirect_stays_on_http(fmt: str) -> None:
    """The defect as aloft's own ALB emulation showed it: x-forwarded-proto http, yet the app
    answered with an https:// Location."""
    from lambdakit import ALOFT_BOOTSTRAP, emulated

    with emulated([*ALOFT_BOOTSTRAP, "lambda_stream.handler"], fmt=fmt) as (_, front, _):  # type: ignore[arg-type]
        import httpx

        response = httpx.get(f"http://127.0.0.1:{front.port}/go", timeout=20)
    assert response.status_code == 302
    assert response.headers["location"] == f"http://127.0.0.1:{front.port}/small"
