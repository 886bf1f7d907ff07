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
