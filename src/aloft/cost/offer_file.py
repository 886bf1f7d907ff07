"""Refresh prices from AWS Price List offer files (the public JSON), without code changes.

An offer file lists products (SKU -> attributes such as usagetype) and terms (OnDemand: SKU ->
price dimensions with beginRange/endRange and pricePerUnit.USD). `data/offer-map.toml` says which
product each catalog price is; this module reads the dimensions into catalog tiers and writes a
catalog file that `[tool.aloft.cost] catalog` can point at.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from aloft.cost.catalog import DATA_PACKAGE, Price, Tier, load_catalog
from aloft.exceptions import ConfigError
from aloft.fileio import atomic_write_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def offer_map() -> dict[str, Any]:
    return tomllib.loads((resources.files(DATA_PACKAGE) / "offer-map.toml").read_text("utf-8"))


def read_offer_file(path: Path) -> dict[str, Any]:
    """The parsed offer file, checked for the parts aloft reads; one-line errors otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: offer file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the offer file ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path}: not JSON (line {exc.lineno}: {exc.msg}); download the offer file again"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("offerCode"), str):
        raise ConfigError(f"{path}: not an AWS Price List offer file (no offerCode)")
    if not isinstance(data.get("products"), dict) or not isinstance(data.get("terms"), dict):
        raise ConfigError(f"{path}: offer file {data['offerCode']} lacks products or terms")
    return data


def _usagetype_pattern(name: str) -> re.Pattern[str]:
    return re.compile(r"^(?:[A-Z]{2,4}[0-9]?-)?" + re.escape(name) + "$")


def _offers(entry: Mapping[str, Any]) -> list[str]:
    offer = entry["offer"]
    return [offer] if isinstance(offer, str) else list(offer)


def _matches(product: Mapping[str, Any], region: str) -> bool:
    attributes = product.get("attributes", {})
    code = attributes.get("regionCode")
    return code is None or code == region


def _on_demand_tiers(
    data: Mapping[str, Any], sku: str, scale: float, where: str
) -> tuple[Tier, ...]:
    terms = data["terms"].get("OnDemand", {}).get(sku)
    if not isinstance(terms, dict) or not terms:
        raise ConfigError(f"{where}: SKU {sku} has no OnDemand terms")
    term = next(iter(terms.values()))
    dimensions = term.get("priceDimensions") if isinstance(term, dict) else None
    if not isinstance(dimensions, dict) or not dimensions:
        raise ConfigError(f"{where}: SKU {sku} has no priceDimensions")
    parts = []
    for dimension in dimensions.values():
        try:
            begin = float(dimension.get("beginRange", dimension.get("startingRange", 0)))
            end_text = str(dimension.get("endRange", dimension.get("endingRange", "Inf")))
            end = math.inf if end_text.lower() in ("inf", "") else float(end_text)
            usd = float(dimension["pricePerUnit"]["USD"])
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ConfigError(f"{where}: SKU {sku} has a malformed price dimension") from None
        if not math.isfinite(usd) or usd < 0 or end <= begin:
            raise ConfigError(f"{where}: SKU {sku} has an invalid price or range")
        parts.append((begin, end, usd))
    parts.sort()
    # A zero-priced first range is the free allowance, which the catalog keeps in [free_tier].
    while len(parts) > 1 and parts[0][0] == 0 and parts[0][2] == 0:
        parts.pop(0)
    return tuple(
        Tier(end / scale if math.isfinite(end) else math.inf, usd * scale) for _, end, usd in parts
    )


def prices_from_offers(paths: list[Path], region: str) -> dict[str, Price]:
    """Every catalog price found in the offer files, keyed as the catalog keys them."""
    mapping = offer_map()
    known_instances = load_catalog(region).instances if _packaged(region) else {}
    found: dict[str, Price] = {}
    for path in paths:
        data = read_offer_file(path)
        offer = data["offerCode"]
        date = str(data.get("publicationDate", ""))[:10] or "unknown"
        source = (
            f"AWS Price List offer file {offer} version {data.get('version', '?')} ({path.name})"
        )
        for key, entry in mapping.get("map", {}).items():
            if offer not in _offers(entry):
                continue
            pattern = _usagetype_pattern(entry["usagetype"])
            family = entry.get("product_family")
            skus = [
                sku
                for sku, product in data["products"].items()
                if isinstance(product, dict)
                and pattern.match(str(product.get("attributes", {}).get("usagetype", "")))
                and (family is None or product.get("productFamily") == family)
                and _matches(product, region)
            ]
            if len(skus) > 1:
                raise ConfigError(
                    f"{path}: {len(skus)} products match {key} ({entry['usagetype']});"
                    " use the offer"
                    f" file for region {region} alone"
                )
            if skus:
                tiers = _on_demand_tiers(data, skus[0], float(entry.get("scale", 1.0)), str(path))
                found[key] = Price(key, entry["unit"], tiers, date, source)
        ec2 = mapping.get("ec2", {})
        if offer == ec2.get("offer"):
            wanted = ec2.get("attributes", {})
            for sku, product in data["products"].items():
                attributes = product.get("attributes", {}) if isinstance(product, dict) else {}
                name = attributes.get("instanceType")
                if name not in known_instances or not _matches(product, region):
                    continue
                if all(attributes.get(k) == v for k, v in wanted.items()):
                    key = f"ec2.{name}"
                    found[key] = Price(
                        key, ec2["unit"], _on_demand_tiers(data, sku, 1.0, str(path)), date, source
                    )
    return found


def _packaged(region: str) -> bool:
    return (resources.files(DATA_PACKAGE) / f"{region}.toml").is_file()


def render_catalog(prices: Mapping[str, Price], region: str) -> str:
    out = [
        "# aloft pricing catalog written by `aloft cost catalog import`"
        " from AWS Price List offer files.",
        "# Entries here replace aloft's own; set [tool.aloft.cost] catalog to this file.",
        f"region = {json.dumps(region)}",
        "",
    ]
    for key in sorted(prices):
        price = prices[key]
        out.append(f"[prices.{json.dumps(key)}]")
        out.append(f"unit = {json.dumps(price.unit)}")
        if len(price.tiers) == 1:
            out.append(f"usd = {price.tiers[0].usd!r}")
        else:
            cells = [
                f"{{ upto = {t.upto!r}, usd = {t.usd!r} }}"
                if math.isfinite(t.upto)
                else f"{{ usd = {t.usd!r} }}"
                for t in price.tiers
            ]
            out.append(f"tiers = [{', '.join(cells)}]")
        out.append(f"date = {json.dumps(price.date)}")
        out.append(f"source = {json.dumps(price.source)}")
        out.append("")
    return "\n".join(out)


def import_offer_files(paths: list[Path], region: str, out: Path) -> dict[str, Price]:
    prices = prices_from_offers(paths, region)
    if not prices:
        raise ConfigError(
            f"no prices aloft uses were found for {region} in"
            f" {', '.join(str(p) for p in paths)}; give"
            " the AWSLambda, AmazonApiGateway, AWSELB, AmazonEKS, AmazonECS or AmazonEC2 offer file"
        )
    text = render_catalog(prices, region)
    tomllib.loads(text)  # what we write must read back
    atomic_write_text(out, text)
    return prices
