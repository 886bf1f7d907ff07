"""CloudWatch Embedded Metric Format: metrics as one JSON log line, no API call, no latency.

CloudWatch Logs turns each line into the same request count and duration the runtime exposes at
/metrics elsewhere (http_requests_total, http_request_duration_seconds), by service and route.
The fixed part of the line is rendered once per namespace: this runs on every request.
"""

from __future__ import annotations

import json
import time

_templates: dict[str, str] = {}


def _template(namespace: str) -> str:
    directive = json.dumps(
        {
            "Namespace": namespace,
            "Dimensions": [["service", "route", "method", "status"]],
            "Metrics": [
                {"Name": "http_requests_total", "Unit": "Count"},
                {"Name": "http_request_duration_seconds", "Unit": "Seconds"},
            ],
        },
        separators=(",", ":"),
    )
    return '{"_aws":{"Timestamp":%d,"CloudWatchMetrics":[' + directive.replace("%", "%%") + "]},"


def request_line(
    namespace: str, service: str, method: str, route: str, status: int, seconds: float
) -> str:
    head = _templates.get(namespace)
    if head is None:
        head = _templates[namespace] = _template(namespace)
    dumps = json.dumps
    return (
        head % int(time.time() * 1000)
        + f'"service":{dumps(service)},"route":{dumps(route)},"method":{dumps(method)},'
        + f'"status":"{status}","http_requests_total":1,'
        + f'"http_request_duration_seconds":{seconds:.6f}}}\n'
    )
