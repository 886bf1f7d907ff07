"""`aloft.runtime.scale`: PATCHes each Deployment's scale subresource with a merge patch and the
bearer token, reports each failure on its own, and exits non-zero when any failed. Against a
real HTTP server on loopback (the cluster test drives it against the real API server)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from aloft.runtime.scale import main, parse_targets, scale

Seen = list[dict[str, Any]]


@pytest.fixture
def api() -> Iterator[tuple[str, Seen]]:
    seen: Seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_PATCH(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append(
                {
                    "path": self.path,
                    "auth": self.headers["Authorization"],
                    "type": self.headers["Content-Type"],
                    "body": body,
                }
            )
            if "/deployments/forbidden/" in self.path:
                self.send_response(403)
                self.end_headers()
                self.wfile.write(b'{"reason":"Forbidden"}')
                return
            replicas = body["spec"]["replicas"]
            if "/deployments/stuck/" in self.path:
                replicas = 7
            # As the API server answers: replicas is omitempty, so 0 leaves the spec empty.
            spec = {"replicas": replicas} if replicas else {}
            data = json.dumps({"kind": "Scale", "spec": spec}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_each_target_is_a_merge_patch_of_its_scale(api: tuple[str, Seen]) -> None:
    url, seen = api
    assert scale(url, "t0ken", "shop", {"web": 0, "worker": 3}) == []
    assert seen == [
        {
            "path": "/apis/apps/v1/namespaces/shop/deployments/web/scale",
            "auth": "Bearer t0ken",
            "type": "application/merge-patch+json",
            "body": {"spec": {"replicas": 0}},
        },
        {
            "path": "/apis/apps/v1/namespaces/shop/deployments/worker/scale",
            "auth": "Bearer t0ken",
            "type": "application/merge-patch+json",
            "body": {"spec": {"replicas": 3}},
        },
    ]


def test_a_refusal_does_not_stop_the_others_and_is_reported(api: tuple[str, Seen]) -> None:
    url, seen = api
    failures = scale(url, "t", "shop", {"forbidden": 0, "stuck": 0, "web": 0})
    assert len(failures) == 2
    assert failures[0].startswith("forbidden: HTTP 403")
    assert failures[1] == "stuck: asked for 0 replicas, the API says 7"
    assert [s["path"].split("/")[-2] for s in seen] == ["forbidden", "stuck", "web"]


def test_arguments_are_checked() -> None:
    assert parse_targets(["web=0", "worker=2"]) == {"web": 0, "worker": 2}
    for bad in (["web"], ["web=-1"], ["=2"], []):
        with pytest.raises(ValueError):
            parse_targets(bad)
    assert main(["web"]) == 2
