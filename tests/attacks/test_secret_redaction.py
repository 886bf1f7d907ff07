"""Secrets in every shape a value takes on a line, through the real server's log pipeline."""

from __future__ import annotations

import json
import subprocess

from testkit import Server

APP = """
import json
import logging

from aloft.runtime import Secret, load_settings
from dataclasses import dataclass


@dataclass
class Settings:
    tls_key: Secret
    sa_key: Secret


settings = load_settings(Settings)
log = logging.getLogger("shop")


def app(environ, start_response):
    for secret in (settings.tls_key, settings.sa_key):
        value = secret.reveal()
        log.warning("raw %s", value)
        log.warning("repr %r", value)
        log.warning("doc", extra={"doc": json.dumps({"credentials": value})})
        try:
            raise ValueError(value)
        except ValueError:
            log.exception("failed")
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]
"""


def test_pem_and_service_account_keys_never_reach_stdout(serve_app) -> None:
    pem = subprocess.run(
        ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    sa_key = json.dumps(
        {"type": "service_account", "private_key_id": "a1b2c3d4e5f6a7b8", "private_key": pem}
    )
    server: Server = serve_app(APP, env={"TLS_KEY": pem, "SA_KEY": sa_key})
    assert server.get("/").status == 200
    server.wait_for(lambda r: r.get("logger") == "aloft.access", 10)
    text = "".join(server.raw)
    lines = [json.loads(line) for line in server.raw]  # every line is still JSON
    body = [line.strip() for line in pem.splitlines() if len(line.strip()) >= 16]
    for value in (pem, sa_key):
        for spelling in (value, json.dumps(value)[1:-1], repr(value)[1:-1]):
            assert spelling not in text
            assert json.dumps(spelling)[1:-1] not in text
    assert not [b for b in body if b in text]
    assert sum("**********" in json.dumps(line) for line in lines) >= 8
