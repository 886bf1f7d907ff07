"""`aloft lambda serve` for every event format: real HTTP in, real FastAPI and Flask apps behind.

Each format gets one emulator per app (module fixtures). A request carries a repeated query key,
cookies, a custom header and a binary body, under the stage where API Gateway has one; the tests
check what the app saw and what the HTTP client got back.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from aloft.serverless.emulator import Emulator, FunctionSpec, HTTPFront
from aloft.serverless.http_events import FORMATS, EventFormat, read_response
from lambdakit import ALOFT_BOOTSTRAP, FUNCTIONS

STAGES: dict[str, str] = {"v2": "prod", "v1": "prod"}  # ALB and Function URLs have no stages
APPS = {"fastapi": "lambda_fmt_fastapi:app", "flask": "lambda_fmt_flask:app"}
BINARY = bytes(range(256)) * 4 + b"\xff\xfe\x80"  # not UTF-8 anywhere near valid
COOKIES = "session=abc123; theme=dark"


class Served:
    def __init__(self, fmt: EventFormat, front: HTTPFront) -> None:
        self.fmt = fmt
        self.front = front
        self.base = f"http://127.0.0.1:{front.port}" + (f"/{STAGES[fmt]}" if fmt in STAGES else "")


def serve(fmt: EventFormat, command: list[str], env: dict[str, str]) -> Iterator[Served]:
    spec = FunctionSpec("fn", command, FUNCTIONS, env, timeout=10.0, concurrency=1)
    lines: list[str] = []
    emulator = Emulator(spec, output=lines.append)
    front = HTTPFront(emulator, fmt=fmt, stage=STAGES.get(fmt))
    front.start()
    try:
        yield Served(fmt, front)
    finally:
        front.close()
        emulator.close()


@pytest.fixture(
    scope="module", params=[(a, f) for a in sorted(APPS) for f in FORMATS], ids="-".join
)
def app(request: pytest.FixtureRequest) -> Iterator[Served]:
    name, fmt = request.param
    yield from serve(fmt, ALOFT_BOOTSTRAP, {"ALOFT_APP": APPS[name]})


@pytest.fixture(scope="module", params=FORMATS)
def raw(request: pytest.FixtureRequest) -> Iterator[Served]:
    yield from serve(request.param, [*ALOFT_BOOTSTRAP, "lambda_fmt_raw.event_echo"], {})


def post_echo(served: Served) -> httpx.Response:
    return httpx.post(
        served.base + "/echo/kite?tag=a&tag=b&q=hello%20world",
        content=BINARY,
        headers={
            "content-type": "application/octet-stream",
            "cookie": COOKIES,
            "x-custom": "custom-value",
        },
        timeout=10,
    )


def test_the_app_sees_query_cookies_header_and_binary_body(app: Served) -> None:
    response = post_echo(app)
    assert response.status_code == 201, response.text
    seen = response.json()
    assert (seen["name"], seen["method"]) == ("kite", "POST")
    # ALB with multi-value headers off passes only the last value of a repeated query key.
    assert seen["tags"] == (["b"] if app.fmt == "alb" else ["a", "b"])
    assert seen["q"] == "hello world"
    assert seen["cookies"] == {"session": "abc123", "theme": "dark"}
    assert seen["custom"] == "custom-value"
    assert (seen["body_length"], seen["body_sha256"]) == (
        len(BINARY),
        hashlib.sha256(BINARY).hexdigest(),
    )


def test_the_app_builds_its_own_urls_under_the_stage(app: Served) -> None:
    seen = post_echo(app).json()
    prefix = f"/{STAGES[app.fmt]}" if app.fmt in STAGES else ""
    assert seen["self_url"] == f"{prefix}/echo/kite"


def test_a_path_with_a_trailing_slash_keeps_the_stage(app: Served) -> None:
    # Django-style URLs end in a slash; the stage must still become the app's root path.
    response = httpx.get(app.base + "/notes/7/", timeout=10)
    assert response.status_code == 200, response.text
    prefix = f"/{STAGES[app.fmt]}" if app.fmt in STAGES else ""
    assert response.json()["self_url"] == f"{prefix}/notes/7/"


def test_two_set_cookie_headers_arrive_separately(app: Served) -> None:
    response = post_echo(app)
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 2, response.headers
    assert sorted(c.split(";")[0] for c in cookies) == ["a=1", "b=2"]
    assert "httponly" in next(c for c in cookies if c.startswith("b=")).lower()
    assert (response.cookies["a"], response.cookies["b"]) == ("1", "2")
    assert response.headers["x-app"] in ("fastapi", "flask")
    assert response.reason_phrase == "Created"


def test_a_binary_response_arrives_decoded(app: Served) -> None:
    response = httpx.post(
        app.base + "/mirror",
        content=BINARY,
        headers={"content-type": "application/octet-stream"},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == BINARY


def test_urls_outside_the_stage_are_refused_as_api_gateway_does(raw: Served) -> None:
    response = httpx.get(f"http://127.0.0.1:{raw.front.port}/echo/kite")
    if raw.fmt not in STAGES:
        # ALB and Function URLs have no stages: every path reaches the function as it is.
        assert response.status_code == 200
        event = response.json()
        assert event.get("rawPath", event.get("path")) == "/echo/kite"
    elif raw.fmt == "v1":
        assert response.status_code == 403
        assert response.json() == {"message": "Missing Authentication Token"}
    else:
        assert response.status_code == 404
        assert response.json() == {"message": "Not Found"}


def raw_event(served: Served) -> dict[str, Any]:
    response = httpx.post(
        served.base + "/orders/7?tag=a&tag=b&q=a%20b",
        content=b"\xff\x00\x80",
        headers=[
            ("content-type", "application/octet-stream"),
            ("cookie", "s=1; t=2"),
            ("x-custom", "one"),
            ("x-multi", "1"),
            ("x-multi", "2"),
        ],
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_event_shape(raw: Served) -> None:
    event = raw_event(raw)
    assert base64.b64decode(event["body"]) == b"\xff\x00\x80"
    assert event["isBase64Encoded"] is True
    if raw.fmt in ("v2", "url"):
        assert event["version"] == "2.0"
        assert event["rawQueryString"] == "tag=a&tag=b&q=a%20b"
        assert event["queryStringParameters"] == {"tag": "a,b", "q": "a b"}
        assert event["cookies"] == ["s=1", "t=2"]
        assert "cookie" not in event["headers"]
        assert event["headers"]["x-multi"] == "1,2"
        context = event["requestContext"]
        assert context["http"]["method"] == "POST"
        if raw.fmt == "v2":
            assert event["rawPath"] == context["http"]["path"] == "/prod/orders/7"
            assert context["stage"] == "prod"
        else:
            assert event["rawPath"] == "/orders/7"
            assert context["stage"] == "$default"
            assert context["domainName"].endswith(".lambda-url.us-east-1.on.aws")
            assert context["domainPrefix"] == context["domainName"].split(".")[0]
    elif raw.fmt == "v1":
        assert (event["path"], event["resource"]) == ("/orders/7", "/{proxy+}")
        assert event["pathParameters"] == {"proxy": "orders/7"}
        assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "q": ["a b"]}
        assert event["queryStringParameters"] == {"tag": "b", "q": "a b"}
        assert event["multiValueHeaders"]["x-multi"] == ["1", "2"]
        assert event["headers"]["x-multi"] == "2"
        assert event["headers"]["cookie"] == "s=1; t=2"
        context = event["requestContext"]
        assert (context["stage"], context["path"]) == ("prod", "/prod/orders/7")
        assert context["identity"]["sourceIp"] == "127.0.0.1"
    else:
        assert event["path"] == "/orders/7"
        assert "targetgroup/" in event["requestContext"]["elb"]["targetGroupArn"]
        if raw.fmt == "alb-multi":
            assert "headers" not in event and "queryStringParameters" not in event
            # ALB passes the query on still percent-encoded.
            assert event["multiValueQueryStringParameters"] == {
                "tag": ["a", "b"],
                "q": ["a%20b"],
            }
            assert event["multiValueHeaders"]["x-multi"] == ["1", "2"]
            assert event["multiValueHeaders"]["cookie"] == ["s=1; t=2"]
        else:
            assert "multiValueHeaders" not in event
            assert event["queryStringParameters"] == {"tag": "b", "q": "a%20b"}
            assert event["headers"]["x-multi"] == "2"
            assert event["headers"]["cookie"] == "s=1; t=2"


def test_a_failing_function_gets_the_services_own_error(raw: Served) -> None:
    response = httpx.get(raw.base + "/boom")
    if raw.fmt in ("alb", "alb-multi"):
        assert (response.status_code, response.reason_phrase) == (502, "Bad Gateway")
        assert "502 Bad Gateway" in response.text
    elif raw.fmt == "v1":
        assert response.status_code == 502
        assert response.json() == {"message": "Internal server error"}
    else:
        assert response.status_code == 500
        assert response.json() == {"message": "Internal Server Error"}


RESPONSE = {
    "statusCode": 202,
    "statusDescription": "202 Accepted Here",
    "headers": {"x-single": "s", "x-both": "from-headers"},
    "multiValueHeaders": {"x-multi": ["m1", "m2"], "x-both": ["from-multi"]},
    "cookies": ["c=1"],
    "body": base64.b64encode(b"\x00\xff").decode(),
    "isBase64Encoded": True,
}


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        # An HTTP API has no multiValueHeaders; cookies become Set-Cookie headers.
        ("v2", [("x-single", "s"), ("x-both", "from-headers"), ("set-cookie", "c=1")]),
        # REST APIs merge both forms; multiValueHeaders win for a name in both.
        ("v1", [("x-single", "s"), ("x-multi", "m1"), ("x-multi", "m2"), ("x-both", "from-multi")]),
        # ALB reads only the form its target group is set to.
        ("alb", [("x-single", "s"), ("x-both", "from-headers")]),
        ("alb-multi", [("x-multi", "m1"), ("x-multi", "m2"), ("x-both", "from-multi")]),
    ],
)
def test_each_service_reads_the_response_headers_it_knows(
    fmt: EventFormat, expected: list[tuple[str, str]]
) -> None:
    status, phrase, headers, body = read_response(fmt, RESPONSE)
    assert (status, body) == (202, b"\x00\xff")
    assert headers == expected
    assert phrase == ("Accepted Here" if fmt.startswith("alb") else "Accepted")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_response_without_status_code(fmt: EventFormat) -> None:
    status, _, _, body = read_response(fmt, {"hello": "world"})
    if fmt in ("v2", "url"):
        # Payload 2.0 takes any other JSON as a 200 with that JSON as the body.
        assert (status, json.loads(body)) == (200, {"hello": "world"})
    else:
        assert status == 502
