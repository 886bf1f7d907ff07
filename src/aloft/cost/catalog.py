"""The pricing catalog: dated prices per region, from a packaged data file plus a user's overrides.

Prices describe the world and change, so they live in `data/<region>.toml` with the date and source
of each, never in code. A user file with the same layout replaces whole entries (newer prices, a
negotiated rate, another region), and `aloft cost catalog import` writes such a file from AWS's
own offer files.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from aloft.exceptions import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DATA_PACKAGE = "aloft.cost.data"


@dataclasses.dataclass(frozen=True)
class Tier:
    upto: float  # end of the tier in the price's unit, cumulative per month; inf for the last
    usd: float


@dataclasses.dataclass(frozen=True)
class Price:
    key: str
    unit: str
    tiers: tuple[Tier, ...]
    date: str
    source: str

    @property
    def usd(self) -> float:
        """The first-tier rate: the whole price for untiered items."""
        return self.tiers[0].usd

    def split(self, quantity: float, *, skip: float = 0.0) -> list[tuple[float, float, int]]:
        """`quantity` spread over the tiers as (quantity, rate, tier index), non-empty parts only.

        `skip` units at the bottom are counted towards the tier boundaries but not charged: free
        units come off the first tier, the way AWS applies a free tier to tiered usage.
        """
        parts: list[tuple[float, float, int]] = []
        start = 0.0
        for index, tier in enumerate(self.tiers):
            low = max(start, skip)
            high = min(tier.upto, quantity)
            if high > low:
                parts.append((high - low, tier.usd, index))
            start = tier.upto
            if start >= quantity:
                break
        return parts


@dataclasses.dataclass(frozen=True)
class InstanceType:
    name: str
    vcpu: float
    memory_gib: float
    max_pods: int
    arch: str
    price: Price


@dataclasses.dataclass(frozen=True)
class Commitment:
    name: str
    label: str
    term_years: int
    discounts: Mapping[str, float]  # platform family (lambda, fargate, ec2) -> fraction off
    applies_to: tuple[str, ...]  # price-key prefixes the discount covers
    upto: bool
    date: str
    source: str

    def discount_for(self, price_key: str) -> float:
        if not any(price_key == p or price_key.startswith(p + ".") for p in self.applies_to):
            return 0.0
        return float(self.discounts.get(price_key.split(".", 1)[0], 0.0))


@dataclasses.dataclass(frozen=True)
class Catalog:
    region: str
    currency: str
    date: str
    origin: str  # which files it was read from, for reports
    prices: Mapping[str, Price]
    instances: Mapping[str, InstanceType]
    commitments: Mapping[str, Commitment]
    facts: Mapping[str, Mapping[str, Any]]  # lambda, eks, fargate, alb_lcu, apigateway, free_tier

    def price(self, key: str) -> Price:
        try:
            return self.prices[key]
        except KeyError:
            raise ConfigError(
                f"pricing catalog {self.region} ({self.origin}) has no price {key!r}; add "
                f'[prices."{key}"] to a catalog file set as [tool.aloft.cost] catalog'
            ) from None

    def instance(self, name: str) -> InstanceType:
        try:
            return self.instances[name]
        except KeyError:
            known = ", ".join(sorted(self.instances))
            raise ConfigError(
                f"unknown instance type {name!r} in pricing catalog {self.region}; known: {known} "
                f'(add [instances."{name}"] and its price to a catalog file)'
            ) from None

    def to_json(self) -> dict[str, Any]:
        """Every price with its unit, tiers (an open last tier as upto null), date and source."""
        return {
            "region": self.region,
            "date": self.date,
            "origin": self.origin,
            "prices": {
                key: {
                    "unit": p.unit,
                    "tiers": [
                        {"upto": None if math.isinf(t.upto) else t.upto, "usd": t.usd}
                        for t in p.tiers
                    ],
                    "date": p.date,
                    "source": p.source,
                }
                for key, p in sorted(self.prices.items())
            },
        }

    def fact(self, table: str, key: str) -> Any:
        try:
            return self.facts[table][key]
        except KeyError:
            raise ConfigError(
                f"pricing catalog {self.region} ({self.origin}) lacks [{table}] {key}; add it"
                " to a catalog file"
            ) from None


# AWS region names (us-east-1, ap-southeast-2, us-gov-west-1): other data files are not catalogs.
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")


def known_regions() -> list[str]:
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in resources.files(DATA_PACKAGE).iterdir()
        if entry.name.endswith(".toml") and _REGION.match(entry.name.removesuffix(".toml"))
    )


def load_catalog(region: str = "us-east-1", override: Path | None = None) -> Catalog:
    """The packaged catalog of `region`, with the entries of `override` (a TOML file) on top."""
    documents: list[tuple[str, dict[str, Any]]] = []
    packaged = resources.files(DATA_PACKAGE) / f"{region}.toml"
    shipped = bool(_REGION.match(region)) and packaged.is_file()
    if shipped:
        documents.append((f"aloft {region}.toml", tomllib.loads(packaged.read_text("utf-8"))))
    declared = None
    if override is not None:
        documents.append((str(override), _read_toml(override)))
        declared = documents[-1][1].get("region")
        if declared is not None and declared != region:
            raise ConfigError(
                f"{override}: region = {declared!r} but the estimate is for {region!r}; set"
                f' [tool.aloft.cost] region = "{declared}" or fix the file'
            )
    if not shipped and declared != region:
        raise ConfigError(
            f"unknown region {region!r}: aloft ships prices for {', '.join(known_regions())}; "
            f'give a catalog file with region = "{region}" and its prices'
        )
    return build_catalog(region, documents)


def build_catalog(region: str, documents: list[tuple[str, dict[str, Any]]]) -> Catalog:
    """Merge catalog documents (later ones replace whole entries) and validate every entry."""
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for label, document in documents:
        for key, value in document.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
            for entry in value if isinstance(value, dict) else ():
                origins[f"{key}.{entry}"] = label
    origin = " + ".join(label for label, _ in documents)

    prices = {
        key: _price(key, raw, origins.get(f"prices.{key}", origin))
        for key, raw in _table(merged, "prices", origin).items()
    }
    instances: dict[str, InstanceType] = {}
    for name, raw in _table(merged, "instances", origin).items():
        where = f'{origins.get(f"instances.{name}", origin)} [instances."{name}"]'
        price_key = _field(raw, "price", str, where)
        if price_key not in prices:
            raise ConfigError(f"{where} price = {price_key!r}: no such entry in [prices]; add it")
        instances[name] = InstanceType(
            name=name,
            vcpu=_positive(raw, "vcpu", where),
            memory_gib=_positive(raw, "memory_gib", where),
            max_pods=int(_positive(raw, "max_pods", where)),
            arch=_field(raw, "arch", str, where),
            price=prices[price_key],
        )
    commitments: dict[str, Commitment] = {}
    for name, raw in _table(merged, "commitments", origin).items():
        where = f'{origins.get(f"commitments.{name}", origin)} [commitments."{name}"]'
        discounts = _field(raw, "discounts", dict, where)
        for family, fraction in discounts.items():
            if not isinstance(fraction, (int, float)) or not 0 <= fraction < 1:
                raise ConfigError(f"{where} discounts.{family}: use a fraction from 0 to below 1")
        commitments[name] = Commitment(
            name=name,
            label=str(raw.get("label", name)),
            term_years=int(_positive(raw, "term_years", where)),
            discounts={k: float(v) for k, v in discounts.items()},
            applies_to=tuple(_field(raw, "applies_to", list, where)),
            upto=bool(raw.get("upto", False)),
            date=_field(raw, "date", str, where),
            source=_field(raw, "source", str, where),
        )
    facts = {
        key: value
        for key, value in merged.items()
        if isinstance(value, dict) and key not in ("prices", "instances", "commitments")
    }
    return Catalog(
        region=region,
        currency=str(merged.get("currency", "USD")),
        date=str(merged.get("date", "")),
        origin=origin,
        prices=prices,
        instances=instances,
        commitments=commitments,
        facts=facts,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: catalog file not found; fix [tool.aloft.cost] catalog"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the syntax") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None


def _table(merged: Mapping[str, Any], name: str, origin: str) -> dict[str, Any]:
    value = merged.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{origin}: {name} must be a table")
    return value


def _price(key: str, raw: Any, label: str) -> Price:
    where = f'{label} [prices."{key}"]'
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table with unit, usd (or tiers), date and source")
    if ("usd" in raw) == ("tiers" in raw):
        raise ConfigError(f"{where}: give exactly one of usd = RATE or tiers = [...]")
    if "usd" in raw:
        tiers: tuple[Tier, ...] = (Tier(math.inf, _rate(raw["usd"], where)),)
    else:
        raw_tiers = raw["tiers"]
        if not isinstance(raw_tiers, list) or not raw_tiers:
            raise ConfigError(f"{where} tiers: use a non-empty list of {{ upto = N, usd = RATE }}")
        built = []
        previous = 0.0
        for i, tier in enumerate(raw_tiers):
            last = i == len(raw_tiers) - 1
            if not isinstance(tier, dict) or "usd" not in tier or ("upto" in tier) == last:
                raise ConfigError(
                    f"{where} tiers[{i}]: each tier needs usd, and upto on all but the last"
                )
            upto = math.inf if last else float(tier["upto"])
            if upto <= previous:
                raise ConfigError(f"{where} tiers[{i}] upto = {upto:g}: tiers must ascend")
            built.append(Tier(upto, _rate(tier["usd"], where)))
            previous = upto
        tiers = tuple(built)
    return Price(
        key=key,
        unit=_field(raw, "unit", str, where),
        tiers=tiers,
        date=_field(raw, "date", str, where),
        source=_field(raw, "source", str, where),
    )


def _rate(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"{where}: usd = {value!r} is not a price; use a number >= 0")
    return float(value)


def _positive(raw: Mapping[str, Any], key: str, where: str) -> float:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{where} {key} = {value!r}: use a number above 0")
    return float(value)


def _field(raw: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = raw.get(key)
    if not isinstance(value, kind):
        raise ConfigError(f"{where}: {key} is missing or not a {kind.__name__}; add it")
    return value
