"""CloudWatch Embedded Metric Format: metrics as JSON log fields, no API call, no latency.

CloudWatch Logs turns each request's line into the same request count and duration the runtime
exposes at /metrics elsewhere (http_requests_total, http_request_duration_seconds), by service,
route, method and status code. The metrics ride on the access line itself (one write per
request); when no access line is written (access log off, or an unsampled request), they get a
line of their own. The fixed part is rendered once per namespace: this runs on every request.
"""

from __future__ import annotations

import json
import time

_directives: dict[str, str] = {}
_encode = json.encoder.encode_basestring


def _directive(namespace: str) -> str:
    return json.dumps(
        {
            "Namespace": namespace,
            "Dimensions": [["service", "route", "method", "status_code"]],
            "Metrics": [
                {"Name": "http_requests_total", "Unit": "Count"},
                {"Name": "http_request_duration_seconds", "Unit": "Seconds"},
            ],
        },
        separators=(",", ":"),
    )


def fields(namespace: str, status: int, seconds: float) -> str:
    """The EMF members to add to an access line (which already has service, route, method)."""
    directive = _directives.get(namespace)
    if directive is None:
        directive = _directives[namespace] = _directive(namespace)
    return (
        f',"status_code":"{status}","http_requests_total":1,'
        f'"http_request_duration_seconds":{seconds:.6f},'
        f'"_aws":{{"Timestamp":{int(time.time() * 1000)},"CloudWatchMetrics":[{directive}]}}'
    )


def request_line(
    namespace: str, service: str, method: str, route: str, status: int, seconds: float
) -> str:
    """A line of its own, for requests whose access line is not written."""
    return (
        f'{{"service":{_encode(service)},"route":{_encode(route)},"method":{_encode(method)}'
        + fields(namespace, status, seconds)
        + "}\n"
    )
