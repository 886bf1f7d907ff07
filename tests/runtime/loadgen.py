"""A bounded HTTP load generator in its own process: `loadgen.py URL SECONDS MAX THREADS`.

Each request uses a new connection (as a load balancer spreading requests would) and is recorded
with its wall-clock start and end, so a test can ask which requests started before some instant.
Prints one JSON list of [start, end, status or error] on stdout when done.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit


def main() -> None:
    url, seconds, limit, threads = (
        sys.argv[1],
        float(sys.argv[2]),
        int(sys.argv[3]),
        int(sys.argv[4]),
    )
    parts = urlsplit(url)
    stop_at = time.monotonic() + seconds
    results: list[tuple[float, float, object]] = []
    lock = threading.Lock()

    def worker() -> None:
        while time.monotonic() < stop_at:
            with lock:
                if len(results) >= limit:
                    return
            start = time.time()
            try:
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                conn.request("GET", parts.path or "/")
                reply = conn.getresponse()
                reply.read()
                outcome: object = reply.status
                conn.close()
            except OSError as exc:
                outcome = type(exc).__name__
                time.sleep(0.01)
            with lock:
                results.append((start, time.time(), outcome))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
