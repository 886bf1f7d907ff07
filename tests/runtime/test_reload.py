"""`aloft run --reload` restarts the workers on a code change (development only)."""

from __future__ import annotations

import time
from pathlib import Path

from testkit import Server

APP = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"{word}"]
"""


def test_reload_serves_the_changed_code(run_server, tmp_path: Path) -> None:
    pyproject = '[project]\nname = "r"\n[tool.aloft]\napp = "hot:app"\n'
    (tmp_path / "pyproject.toml").write_text(pyproject)
    module = tmp_path / "hot.py"
    module.write_text(APP.format(word="before"))
    server: Server = run_server(tmp_path, "--reload")
    assert server.get("/").body == b"before"
    time.sleep(1.1)  # a new mtime, whatever the file system's resolution
    module.write_text(APP.format(word="after"))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and server.get("/").body != b"after":
        time.sleep(0.2)
    assert server.get("/").body == b"after"


FASTAPI_APP = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/")
def word() -> str:
    return "{word}"
"""


def test_reload_serves_the_changed_code_for_fastapi(run_server, tmp_path: Path) -> None:
    pyproject = '[project]\nname = "r"\n[tool.aloft]\napp = "hot:app"\n'
    (tmp_path / "pyproject.toml").write_text(pyproject)
    module = tmp_path / "hot.py"
    module.write_text(FASTAPI_APP.format(word="before"))
    server: Server = run_server(tmp_path, "--reload", workers=2)
    assert server.get("/").json() == "before"
    time.sleep(1.1)
    module.write_text(FASTAPI_APP.format(word="after"))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and server.get("/").json() != "after":
        time.sleep(0.1)
    assert [server.get("/").json() for _ in range(10)] == ["after"] * 10  # every worker
    assert server.get("/healthz").status == 200
    assert any(str(r.get("message", "")).startswith("reloading: hot.py") for r in server.lines)


def test_a_syntax_error_is_served_as_an_error_until_the_next_save(
    run_server, tmp_path: Path
) -> None:
    pyproject = '[project]\nname = "r"\n[tool.aloft]\napp = "hot:app"\n'
    (tmp_path / "pyproject.toml").write_text(pyproject)
    module = tmp_path / "hot.py"
    module.write_text(FASTAPI_APP.format(word="before"))
    server: Server = run_server(tmp_path, "--reload")
    time.sleep(1.1)
    module.write_text("def broken(:\n")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and server.get("/").status != 500:
        time.sleep(0.1)
    reply = server.get("/")
    assert reply.status == 500 and b"SyntaxError" in reply.body
    module.write_text(FASTAPI_APP.format(word="fixed"))
    while time.monotonic() < deadline and server.get("/").status != 200:
        time.sleep(0.1)
    assert server.get("/").json() == "fixed"
