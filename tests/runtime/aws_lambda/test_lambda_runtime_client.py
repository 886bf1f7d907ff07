"""aloft's hand-written Runtime API client against the ways an HTTP/1.1 server may answer.

The emulator and AWS answer with Content-Length; a server may also send chunked bodies, close
the connection after a response, or drop a kept-alive connection between invocations.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from aloft.runtime.aws_lambda.runtime_api import RuntimeAPIError, RuntimeClient

NEXT_HEADERS = (
    b"Lambda-Runtime-Aws-Request-Id: req-1\r\n"
    b"Lambda-Runtime-Deadline-Ms: 4102444800000\r\n"
    b"Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:1:function:f\r\n"
    b"Lambda-Runtime-Trace-Id: Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1\r\n"
)


class ScriptedServer:
    """Answers each request read on a connection with the next scripted reply; a reply of None
    closes the connection without answering."""

    def __init__(self, replies: list[bytes | None]) -> None:
        self.replies = list(replies)
        self.requests: list[bytes] = []
        self.connections = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while self.replies:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn, conn.makefile("rb") as reader:
                while self.replies:
                    request = self._read_request(reader)
                    if request is None:
                        break
                    self.requests.append(request)
                    reply = self.replies.pop(0)
                    if reply is None:
                        break
                    conn.sendall(reply)
                    head = reply.split(b"\r\n\r\n")[0]
                    if b"Connection: close" in head or (
                        b"Content-Length" not in head and b"chunked" not in head
                    ):
                        break

    @staticmethod
    def _read_request(reader: object) -> bytes | None:
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = reader.readline()  # type: ignore[attr-defined]
            if not line:
                return None
            head += line
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return head + (reader.read(length) if length else b"")  # type: ignore[attr-defined]

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def serve() -> Iterator[type[ScriptedServer]]:
    servers: list[ScriptedServer] = []

    class Tracked(ScriptedServer):
        def __init__(self, replies: list[bytes | None]) -> None:
            super().__init__(replies)
            servers.append(self)

    yield Tracked
    for server in servers:
        server.close()


def test_content_length_responses_on_one_kept_alive_connection(serve: type) -> None:
    body = b'{"hello": "world"}'
    server = serve(
        [
            b"HTTP/1.1 200 OK\r\n"
            + NEXT_HEADERS
            + b"Content-Length: %d\r\n\r\n" % len(body)
            + body,
            b'HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\n\r\n{"status":"OK"}',
        ]
    )
    client = RuntimeClient(server.address)
    event, context = client.next()
    assert event == body
    assert context.aws_request_id == "req-1"
    assert context.get_remaining_time_in_millis() > 0  # the deadline header is in the future
    assert context.trace_id.startswith("Root=1-5759e988")
    client.respond("req-1", b'{"ok":true}')
    assert server.connections == 1
    post = server.requests[1]
    assert post.startswith(b"POST /2018-06-01/runtime/invocation/req-1/response HTTP/1.1\r\n")
    assert post.endswith(b'\r\nContent-Length: 11\r\n\r\n{"ok":true}')


def test_chunked_bodies_are_reassembled(serve: type) -> None:
    server = serve(
        [
            b"HTTP/1.1 200 OK\r\n"
            + NEXT_HEADERS
            + b"Transfer-Encoding: chunked\r\n\r\n"
            + b'5;ext=1\r\n{"a":\r\n4\r\n 12}\r\n0\r\nX-Trailer: t\r\n\r\n',
            b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n",
        ]
    )
    client = RuntimeClient(server.address)
    event, _ = client.next()
    assert event == b'{"a": 12}'
    client.respond("req-1", b"null")  # the same connection still works after the trailer
    assert server.connections == 1


def test_a_closed_connection_is_reopened_once(serve: type) -> None:
    body = b"{}"
    next_reply = b"HTTP/1.1 200 OK\r\n" + NEXT_HEADERS + b"Content-Length: 2\r\n\r\n" + body
    # First response ends the connection (no length: the body runs to the close); the next
    # request finds the socket dropped without an answer and is retried on a new connection.
    server = serve(
        [
            b"HTTP/1.1 200 OK\r\n" + NEXT_HEADERS + b"\r\n" + body,
            None,
            next_reply,
        ]
    )
    client = RuntimeClient(server.address)
    assert client.next()[0] == body
    assert client.next()[0] == body
    assert server.connections == 3


def test_a_runtime_api_that_is_gone_ends_the_loop_with_its_error(serve: type) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"  # nothing listens here once closed
    with pytest.raises(RuntimeAPIError, match="invocation/next"):
        RuntimeClient(address).next()
    garbage = serve([b"SMTP ready\r\n\r\n", b"SMTP ready\r\n\r\n"])
    with pytest.raises(RuntimeAPIError, match="not an HTTP response"):
        RuntimeClient(garbage.address).next()


def test_the_bootstrap_does_not_import_http_client() -> None:
    code = (
        "import sys, aloft.runtime.aws_lambda.runtime_api, aloft.runtime.aws_lambda.__main__;"
        "print('http.client' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
