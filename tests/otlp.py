"""Loopback OTLP trace receivers (HTTP and gRPC) decoding with the official opentelemetry-proto
messages."""

from __future__ import annotations

import gzip
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


@dataclass
class ReceivedSpan:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    start_ns: int
    end_ns: int
    status_code: int
    attributes: dict[str, Any]
    resource: dict[str, Any]


def _value(any_value: Any) -> Any:
    which = any_value.WhichOneof("value")
    if which == "array_value":
        return [_value(v) for v in any_value.array_value.values]
    return getattr(any_value, which) if which else None


def _attributes(items: Any) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in items}


@dataclass
class Receiver:
    """Spans posted to http://127.0.0.1:<port>/v1/traces, decoded."""

    spans: list[ReceivedSpan] = field(default_factory=list)
    posts: int = 0
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path != "/v1/traces":
                    self.send_response(404)
                    self.end_headers()
                    return
                receiver.take(ExportTraceServiceRequest.FromString(body))
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def take(self, request: ExportTraceServiceRequest) -> None:
        got = []
        for resource_spans in request.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    got.append(
                        ReceivedSpan(
                            name=span.name,
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            kind=span.kind,
                            start_ns=span.start_time_unix_nano,
                            end_ns=span.end_time_unix_nano,
                            status_code=span.status.code,
                            attributes=_attributes(span.attributes),
                            resource=resource,
                        )
                    )
        with self.lock:
            self.posts += 1
            self.spans.extend(got)

    def wait_for(self, count: int, timeout: float = 15, **match: Any) -> list[ReceivedSpan]:
        """At least `count` spans whose attributes match `match` (keys with '.' as '__')."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                found = [s for s in self.spans if _matches(s, match)]
            if len(found) >= count or time.monotonic() >= deadline:
                return found
            time.sleep(0.05)


@dataclass
class GrpcReceiver(Receiver):
    """Spans sent to the TraceService Export RPC on 127.0.0.1:<port> (plaintext), decoded the
    same way; `metadata` holds each call's request metadata (the exporter's headers). A `port`
    given is taken again (a receiver restarted on the same address); 0: a free one. With `tls`
    (key and certificate PEM files) it speaks TLS only."""

    grpc_server: Any = None
    port: int = 0
    metadata: list[dict[str, str]] = field(default_factory=list)
    tls: tuple[Path, Path] | None = None

    @property
    def endpoint(self) -> str:
        # What a gRPC exporter takes: scheme (http: plaintext, https: TLS), host, port, no path.
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> GrpcReceiver:
        from concurrent.futures import ThreadPoolExecutor

        import grpc
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

        receiver = self

        class Service(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(
                self, request: ExportTraceServiceRequest, context: Any
            ) -> ExportTraceServiceResponse:
                with receiver.lock:
                    receiver.metadata.append(dict(context.invocation_metadata()))
                receiver.take(request)
                return ExportTraceServiceResponse()

        server = grpc.server(ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Service(), server)
        address = f"127.0.0.1:{self.port}"
        if self.tls:
            key, cert = (path.read_bytes() for path in self.tls)
            credentials = grpc.ssl_server_credentials([(key, cert)])
            self.port = server.add_secure_port(address, credentials)
        else:
            self.port = server.add_insecure_port(address)
        server.start()
        self.grpc_server = server
        return self

    def stop(self) -> None:
        if self.grpc_server is not None:
            self.grpc_server.stop(grace=None).wait(5)


def _matches(span: ReceivedSpan, match: dict[str, Any]) -> bool:
    return all(span.attributes.get(k.replace("__", ".")) == v for k, v in match.items())


def tree(spans: list[ReceivedSpan]) -> str:
    """The spans as an indented tree per trace: name, service, kind and duration."""
    kinds = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
    children: dict[str, list[ReceivedSpan]] = {}
    ids = {s.span_id for s in spans}
    roots = []
    for span in sorted(spans, key=lambda s: s.start_ns):
        if span.parent_span_id and span.parent_span_id in ids:
            children.setdefault(span.parent_span_id, []).append(span)
        else:
            roots.append(span)
    lines: list[str] = []

    def walk(span: ReceivedSpan, depth: int) -> None:
        service = span.resource.get("service.name", "?")
        pid = span.resource.get("process.pid", "?")
        ms = (span.end_ns - span.start_ns) / 1e6
        lines.append(
            f"{'  ' * depth}{span.name}  [{service} pid {pid}, {kinds.get(span.kind, span.kind)},"
            f" {ms:.1f} ms]  span {span.span_id}"
        )
        for child in children.get(span.span_id, []):
            walk(child, depth + 1)

    for root in roots:
        parent = f", parent {root.parent_span_id}" if root.parent_span_id else ""
        lines.append(f"trace {root.trace_id}{parent}")
        walk(root, 1)
    return "\n".join(lines)
