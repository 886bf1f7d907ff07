"""Refreshing prices from AWS Price List offer files (the public JSON format)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import costkit
import pytest

from aloft.cost.catalog import load_catalog
from aloft.cost.offer_file import prices_from_offers
from aloft.cost.platforms import FargateSpec, LambdaSpec
from aloft.cost.platforms.aws_lambda import direct_hourly
from aloft.exceptions import ConfigError

# Fixtures shared by the cost tests (see costkit.py for why not a conftest.py).
aloft = costkit.aloft

Run = Callable[..., Any]


def dimension(usd: str, begin: str = "0", end: str = "Inf", unit: str = "Hrs") -> dict[str, Any]:
    return {
        "unit": unit,
        "beginRange": begin,
        "endRange": end,
        "pricePerUnit": {"USD": usd},
        "description": "test",
        "rateCode": f"r{begin}",
    }


def offer(
    code: str, products: dict[str, tuple[dict[str, str], list[dict[str, Any]]]]
) -> dict[str, Any]:
    """A minimal offer file in AWS's layout: products by SKU, OnDemand terms by SKU."""
    data: dict[str, Any] = {
        "formatVersion": "v1.0",
        "offerCode": code,
        "version": "20270101000000",
        "publicationDate": "2027-01-01T00:00:00Z",
        "products": {},
        "terms": {"OnDemand": {}},
    }
    for sku, (attributes, dims) in products.items():
        family = attributes.pop("productFamily", "Serverless")
        data["products"][sku] = {"sku": sku, "productFamily": family, "attributes": attributes}
        data["terms"]["OnDemand"][sku] = {
            f"{sku}.JRTCKXETXF": {
                "offerTermCode": "JRTCKXETXF",
                "sku": sku,
                "effectiveDate": "2027-01-01",
                "priceDimensions": {f"{sku}.{i}": d for i, d in enumerate(dims)},
            }
        }
    return data


LAMBDA_OFFER = offer(
    "AWSLambda",
    {
        "REQ": ({"usagetype": "USE1-Request", "regionCode": "us-east-1"}, [dimension("0.0000001")]),
        "REQ-EU": (
            {"usagetype": "EUW1-Request", "regionCode": "eu-west-1"},
            [dimension("0.0000009")],
        ),
        "GBS": (
            {"usagetype": "USE1-Lambda-GB-Second", "regionCode": "us-east-1"},
            [
                dimension("0", "0", "400000"),  # a free allowance listed as a zero price
                dimension("0.00001", "400000", "6000000000"),
                dimension("0.000009", "6000000000", "15000000000"),
                dimension("0.000008", "15000000000", "Inf"),
            ],
        ),
    },
)
ECS_OFFER = offer(
    "AmazonECS",
    {
        "VCPU": (
            {"usagetype": "USE1-Fargate-vCPU-Hours:perCPU", "regionCode": "us-east-1"},
            [dimension("0.05")],
        ),
        "MEM": (
            {"usagetype": "USE1-Fargate-GB-Hours", "regionCode": "us-east-1"},
            [dimension("0.005")],
        ),
    },
)
EC2_OFFER = offer(
    "AmazonEC2",
    {
        "M6I": (
            {
                "instanceType": "m6i.large",
                "operatingSystem": "Linux",
                "tenancy": "Shared",
                "preInstalledSw": "NA",
                "capacitystatus": "Used",
                "regionCode": "us-east-1",
                "productFamily": "Compute Instance",
            },
            [dimension("0.1")],
        ),
        "M6I-WIN": (
            {
                "instanceType": "m6i.large",
                "operatingSystem": "Windows",
                "tenancy": "Shared",
                "preInstalledSw": "NA",
                "capacitystatus": "Used",
                "regionCode": "us-east-1",
                "productFamily": "Compute Instance",
            },
            [dimension("0.188")],
        ),
    },
)


def write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_offer_file_prices_become_catalog_tiers(tmp_path: Path) -> None:
    prices = prices_from_offers([write(tmp_path, "lambda.json", LAMBDA_OFFER)], "us-east-1")
    assert prices["lambda.requests.x86_64"].usd == pytest.approx(0.10)  # per request -> per 1M
    tiers = prices["lambda.duration.x86_64"].tiers
    assert [t.usd for t in tiers] == [0.00001, 0.000009, 0.000008]
    assert [t.upto for t in tiers][:2] == [6e9, 15e9]
    assert prices["lambda.duration.x86_64"].date == "2027-01-01"
    assert "AWSLambda" in prices["lambda.duration.x86_64"].source


def test_imported_catalog_file_drives_the_estimates(aloft: Run, tmp_path: Path) -> None:
    files = [
        write(tmp_path, n, d)
        for n, d in [
            ("lambda.json", LAMBDA_OFFER),
            ("ecs.json", ECS_OFFER),
            ("ec2.json", EC2_OFFER),
        ]
    ]
    out = tmp_path / "prices.toml"
    result = aloft("cost", "catalog", "import", *map(str, files), "--out", str(out), "-o", "json")
    assert result.code == 0, result.err
    imported = result.json()
    assert imported["catalog"] == str(out) and imported["region"] == "us-east-1"
    assert "lambda.requests.x86_64" in imported["prices"] and imported["prices"] == sorted(
        imported["prices"]
    )
    catalog = load_catalog("us-east-1", out)
    e = LambdaSpec(memory_mb=1024, duration_ms=1000, free_tier=False, front="none").month(
        direct_hourly(2e6), catalog
    )
    assert e.total_usd == pytest.approx(2 * 0.10 + 2e6 * 0.00001)
    fargate = FargateSpec(tasks=1, vcpu=1, memory_gb=2).month([0.0] * 730, catalog)
    assert fargate.total_usd == pytest.approx(730 * (0.05 + 2 * 0.005))
    assert catalog.instance("m6i.large").price.usd == 0.1  # Linux, not the Windows SKU
    assert catalog.price("eks.control_plane.standard").usd == 0.10  # untouched entries stay
    direct = aloft(
        "cost", "fargate", "--vcpu", "1", "--memory-gb", "2", "--catalog", str(out), "-o", "json"
    )
    assert direct.json()["total_usd"] == pytest.approx(730 * 0.06)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ("[]", "no offerCode"),
        (json.dumps({"offerCode": "AWSLambda"}), "lacks products or terms"),
        (
            json.dumps(offer("AWSLambda", {"R": ({"usagetype": "Request"}, [dimension("lots")])})),
            "malformed price",
        ),
        (
            json.dumps(offer("AWSLambda", {"R": ({"usagetype": "Request"}, [dimension("-1")])})),
            "invalid price",
        ),
    ],
)
def test_malformed_offer_file_is_one_line_and_exit_2(
    aloft: Run, tmp_path: Path, content: str, message: str
) -> None:
    path = write(tmp_path, "offer.json", content)
    result = aloft("cost", "catalog", "import", str(path), "--out", str(tmp_path / "p.toml"))
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "p.toml").exists()


def test_offer_without_anything_aloft_uses_is_an_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "s3.json",
        offer("AmazonS3", {"X": ({"usagetype": "TimedStorage-ByteHrs"}, [dimension("1")])}),
    )
    from aloft.cost.offer_file import import_offer_files

    with pytest.raises(ConfigError, match="no prices aloft uses"):
        import_offer_files([path], "us-east-1", tmp_path / "out.toml")


def test_catalog_show_lists_dates_and_sources(aloft: Run) -> None:
    result = aloft("cost", "catalog", "show", "-o", "json")
    data = result.json()
    duration = data["prices"]["lambda.duration.arm64"]
    assert duration["tiers"][0] == {"upto": 7.5e9, "usd": 0.0000133334}
    assert duration["tiers"][-1]["upto"] is None
    assert duration["date"] == "2026-11" and "tiered pricing" in duration["source"]
