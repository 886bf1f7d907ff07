"""`aloft lambda ...` as users run it: template output, config errors, the local server."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
import yaml

from testkit import ALOFT, EXAMPLES, free_port


def aloft(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ALOFT, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_template_goes_to_stdout_or_to_a_file(tmp_path: Path) -> None:
    shown = aloft("lambda", "template", "--project", str(EXAMPLES / "flask"))
    assert shown.returncode == 0, shown.stderr
    template = yaml.safe_load(shown.stdout)
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    out = tmp_path / "template.yaml"
    written = aloft("lambda", "template", "--project", str(EXAMPLES / "flask"), "--out", str(out))
    assert written.returncode == 0 and written.stdout == ""
    assert yaml.safe_load(out.read_text()) == template


def test_serverless_format_has_the_same_functions_and_events() -> None:
    shown = aloft(
        "lambda", "template", "--format", "serverless", "--project", str(EXAMPLES / "fastapi")
    )
    assert shown.returncode == 0, shown.stderr
    config = yaml.safe_load(shown.stdout)
    assert config["frameworkVersion"] == "3"
    function = config["functions"]["shop-fastapi"]
    assert function["events"] == [{"httpApi": "*"}]
    assert function["environment"]["ALOFT_APP"] == "shop.main:app"
    assert config["provider"]["tags"]["team"] == "storefront"


def test_a_bad_lambda_setting_is_one_line_naming_the_field(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.aloft]\napp = "m:app"\n'
        '[tool.aloft.lambda]\narchitecture = "x86"\n'
    )
    result = aloft("lambda", "template", "--project", str(tmp_path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "architecture" in lines[0] and "Traceback" not in result.stderr


def test_lambda_serve_answers_real_http_and_direct_invocations(redis_server: object) -> None:
    port = free_port()
    env_redis = redis_server.url(15)  # type: ignore[attr-defined]
    import os

    process = subprocess.Popen(
        [*ALOFT, "lambda", "serve", "--project", str(EXAMPLES / "fastapi"), "--port", str(port)],
        env={**os.environ, "REDIS_URL": env_redis},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.1)
        assert response.status_code == 200 and "visits" in response.json()
        direct = httpx.post(
            f"http://127.0.0.1:{port}/2015-03-31/functions/shop-fastapi/invocations",
            content=json.dumps(
                {
                    "version": "2.0",
                    "rawPath": "/",
                    "requestContext": {"http": {"method": "GET"}},
                }
            ),
            timeout=10,
        )
        assert direct.status_code == 200 and direct.json()["statusCode"] == 200
        assert "visits" in direct.json()["body"]  # the app's answer: aloft's probes are off
    finally:
        process.terminate()
        process.wait(15)
