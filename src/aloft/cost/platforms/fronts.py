"""What sits in front of the compute: API Gateway (HTTP or REST API), an ALB, or a Function URL."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from aloft.cost.catalog import Catalog
from aloft.cost.estimate import Line, fmt_count, line

Front = Literal["http-api", "rest-api", "alb", "url", "none"]
FRONTS: tuple[str, ...] = ("http-api", "rest-api", "alb", "url", "none")


def front_lines(
    front: str,
    hourly: Sequence[float],
    catalog: Catalog,
    *,
    request_kb: float,
    response_kb: float,
    lambda_target: bool,
    requests_per_connection: float = 1.0,
) -> list[Line]:
    requests = math.fsum(hourly)
    if front == "http-api":
        step = float(catalog.fact("apigateway", "http_api_metering_kb"))
        units = math.ceil(max(request_kb, 1e-9) / step)
        metered = requests * units
        formula = f"{fmt_count(requests)} requests x {units} ({step:g} KB metering steps)"
        return _tiered(
            "API Gateway HTTP API", metered / 1e6, "apigateway.http_api", catalog, formula
        )
    if front == "rest-api":
        return _tiered(
            "API Gateway REST API",
            requests / 1e6,
            "apigateway.rest_api",
            catalog,
            f"{fmt_count(requests)} requests",
        )
    if front == "alb":
        return alb_lines(
            hourly,
            catalog,
            request_kb=request_kb,
            response_kb=response_kb,
            lambda_target=lambda_target,
            requests_per_connection=requests_per_connection,
        )
    if front == "url":
        return [
            line(
                "Lambda Function URL",
                requests / 1e6,
                "1M requests",
                0.0,
                "no charge beyond Lambda's own request and duration charges",
            )
        ]
    return []


def _tiered(name: str, quantity: float, key: str, catalog: Catalog, formula: str) -> list[Line]:
    price = catalog.price(key)
    parts = price.split(quantity)
    multi = len(price.tiers) > 1
    out = []
    for part, rate, index in parts:
        label = f"{name} (tier {index + 1})" if multi else name
        out.append(line(label, part, price.unit, rate, formula, key))
    if not out:
        out.append(line(name, 0.0, price.unit, price.usd, formula, key))
    return out


def alb_lines(
    hourly: Sequence[float],
    catalog: Catalog,
    *,
    request_kb: float,
    response_kb: float,
    lambda_target: bool,
    requests_per_connection: float = 1.0,
) -> list[Line]:
    """Hourly fee plus LCU-hours; each hour's LCUs are its largest dimension over its allowance.

    Every request is assumed to open its own connection unless told otherwise: an upper bound
    that keep-alive clients lower.
    """
    hours = len(hourly)
    per_conn = float(catalog.fact("alb_lcu", "new_connections_per_second"))
    gb_allow = float(
        catalog.fact(
            "alb_lcu",
            "processed_gb_per_hour_lambda_targets"
            if lambda_target
            else "processed_gb_per_hour_instance_targets",
        )
    )
    kb = request_kb + response_kb
    lcu_hours = 0.0
    for requests in hourly:
        connections = requests / requests_per_connection / 3600.0 / per_conn
        processed = requests * kb / 1e6 / gb_allow
        lcu_hours += max(connections, processed)
    hour_price = catalog.price("alb.hour")
    lcu_price = catalog.price("alb.lcu")
    return [
        line(
            "ALB hours",
            float(hours),
            hour_price.unit,
            hour_price.usd,
            f"1 load balancer x {hours} h",
            "alb.hour",
        ),
        line(
            "ALB LCU-hours",
            lcu_hours,
            lcu_price.unit,
            lcu_price.usd,
            f"sum over {hours} h of max(new connections/s / {per_conn:g}, "
            f"GB processed/h / {gb_allow:g}) at {kb:g} KB per request",
            "alb.lcu",
        ),
    ]
