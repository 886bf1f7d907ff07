"""Liveness, readiness and /metrics of a consumer pod, on the admin port (stdlib HTTP).

Liveness fails when the loop has shown no sign of life for longer than a receive plus a batch
can take (a wedged handler or SDK call: restart it). Readiness says "polling": a receive has
succeeded and no drain has begun; SQS errors or SIGTERM turn it off.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TYPE_CHECKING = False  # importing typing would cost more than this module
if TYPE_CHECKING:
    from aloft.runtime.consumer.loop import Consumer
    from aloft.runtime.options import ServeOptions

# Beyond a long poll and one batch's timeout, before the loop counts as stuck.
STUCK_MARGIN = 30.0


def serve(consumer: Consumer, options: ServeOptions, port: int) -> ThreadingHTTPServer:
    """Start the probe server on `port` (0: any free one) in a daemon thread."""
    stuck_after = consumer.wait_seconds + consumer.timeout + STUCK_MARGIN

    class Probe(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == options.health_path:
                alive = time.monotonic() - consumer.heartbeat < stuck_after
                self._answer(200 if alive else 503, b"ok\n" if alive else b"stuck\n")
            elif path == options.ready_path:
                ready = consumer.polling and not consumer.stopping
                self._answer(200 if ready else 503, b"ready\n" if ready else b"not polling\n")
            elif path == options.metrics_path:
                from aloft.runtime import metrics

                body = metrics.scrape().encode()
                self._answer(200, body, "text/plain; version=0.0.4; charset=utf-8")
            else:
                self._answer(404, b"not found\n")

        def _answer(self, status: int, body: bytes, kind: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # probes every few seconds would drown the consumer's own lines

    server = ThreadingHTTPServer((options.host, port), Probe)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="aloft-probes", daemon=True).start()
    return server
