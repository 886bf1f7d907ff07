"""The three example apps, unchanged, on Lambda: served by the emulator, hit with real HTTP."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from lambdakit import ALOFT_BOOTSTRAP, emulated, json_lines
from testkit import EXAMPLES

APPS = {
    # example: (ALOFT_APP, write path, payload, read path, route template of the read)
    "fastapi": (
        "shop.main:app",
        "/items/7",
        {"name": "kite", "price_cents": 1200},
        "/items/7",
        "/items/{item_id}",
    ),
    "flask": (
        "catalog.app:app",
        "/products/7",
        {"name": "kite"},
        "/products/7",
        "/products/{product_id}",
    ),
    "django": (
        "notes.wsgi:application",
        "/notes/7/",
        {"text": "kite"},
        "/notes/7/",
        "/notes/{note_id}/",
    ),
}


@pytest.mark.parametrize("example", sorted(APPS))
def test_example_app_serves_through_the_emulator(example: str, redis_server: Any) -> None:
    app, write, payload, read, route = APPS[example]
    db = {"fastapi": 11, "flask": 12, "django": 13}[example]
    env = {
        "ALOFT_APP": app,
        "REDIS_URL": redis_server.url(db),
        "DJANGO_SECRET_KEY": "not-a-real-key-for-tests",
    }
    # With an extension registered Lambda sends SIGTERM before it stops an environment, so the
    # app's shutdown hooks run (without one they do not: test_lambda_emulator_strict).
    with emulated(
        ALOFT_BOOTSTRAP, cwd=EXAMPLES / example, env=env, name=example, extensions=True
    ) as (emulator, front, lines):
        with httpx.Client(base_url=f"http://127.0.0.1:{front.port}", timeout=10) as client:
            assert client.put(write, json=payload).status_code == 200
            got = client.get(read)
            assert got.status_code == 200 and got.json() == payload
            assert client.get("/fail" + ("/" if example == "django" else "")).status_code == 500
            request_id = got.headers["x-request-id"]
        emulator.close()  # SIGTERM: the environment is told to stop (it has extensions)
    logs = json_lines(lines)
    access = [
        line
        for line in logs
        if line.get("request_id") == request_id and line.get("logger") == "aloft.access"
    ]
    assert access and access[0]["route"] == route
    emf = [line for line in logs if "_aws" in line and line.get("route") == route]
    assert emf and emf[0]["service"]
    if example == "fastapi":
        # The lifespan ran once at cold start and its shutdown ran when the environment stopped.
        messages = [line.get("message") for line in logs]
        assert messages.count("connected to redis") == 1
        deadline = time.monotonic() + 3
        while "shutdown complete" not in messages and time.monotonic() < deadline:
            time.sleep(0.05)
            messages = [line.get("message") for line in json_lines(lines)]
        assert "shutdown complete" in messages
