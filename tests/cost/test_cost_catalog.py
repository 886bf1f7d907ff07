"""The pricing catalog: dated entries, user overrides, and one-line errors for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from aloft.cost.catalog import known_regions, load_catalog
from aloft.exceptions import ConfigError


def test_every_packaged_price_carries_a_date_and_a_source() -> None:
    for region in known_regions():
        catalog = load_catalog(region)
        assert catalog.prices, region
        for key, price in catalog.prices.items():
            assert price.date and price.source, key
        for name, commitment in catalog.commitments.items():
            assert commitment.date and commitment.source, name


def test_a_user_file_replaces_single_entries_and_keeps_the_rest(tmp_path: Path) -> None:
    override = tmp_path / "prices.toml"
    override.write_text(
        '[prices."fargate.vcpu.x86_64"]\nunit = "vCPU-hour"\nusd = 0.03\ndate = "2027-01"\n'
        'source = "our negotiated rate"\n'
    )
    catalog = load_catalog("us-east-1", override)
    assert catalog.price("fargate.vcpu.x86_64").usd == 0.03
    assert catalog.price("fargate.vcpu.x86_64").source == "our negotiated rate"
    assert catalog.price("fargate.memory.x86_64").usd == 0.004445
    assert str(override) in catalog.origin


def test_a_user_file_can_add_a_region_aloft_does_not_ship(tmp_path: Path) -> None:
    packaged = (Path(__file__).parents[2] / "src/aloft/cost/data/us-east-1.toml").read_text()
    other = tmp_path / "eu.toml"
    other.write_text(packaged.replace('region = "us-east-1"', 'region = "eu-test-1"'))
    assert load_catalog("eu-test-1", other).region == "eu-test-1"


def test_unknown_region_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown region 'mars-1'.*us-east-1"):
        load_catalog("mars-1")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("this is not toml [", "not valid TOML"),
        ('[prices."x"]\nunit = "h"\nusd = -1\ndate = "d"\nsource = "s"\n', "not a price"),
        ('[prices."x"]\nunit = "h"\ndate = "d"\nsource = "s"\n', "exactly one of usd"),
        ('[prices."x"]\nunit = "h"\nusd = 1\nsource = "s"\n', "date is missing"),
        (
            '[prices."x"]\nunit = "h"\n'
            "tiers = [{upto = 5, usd = 1}, {upto = 3, usd = 1}, {usd = 1}]\n"
            'date = "d"\nsource = "s"\n',
            "tiers must ascend",
        ),
        ('region = "eu-west-1"\n', "region = 'eu-west-1' but the estimate is for 'us-east-1'"),
    ],
)
def test_malformed_catalog_files_give_one_line_naming_the_entry(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_catalog("us-east-1", path)
    assert "\n" not in str(info.value)
