"""Traffic profiles: shapes, measured CSVs, and how a series becomes billing months."""

from __future__ import annotations

from pathlib import Path

import pytest

from aloft.cost.estimate import HOURS_PER_MONTH
from aloft.cost.traffic import diurnal, measured, spiky, steady
from aloft.exceptions import ConfigError


def test_diurnal_curve_peaks_at_the_given_ratio_and_hour() -> None:
    profile = diurnal(10, peak_to_mean=1.8, peak_hour=15, hours=48)
    day = profile.hourly[:24]
    assert max(day) == pytest.approx(18 * 3600)
    assert day.index(max(day)) == 15
    assert min(day) == pytest.approx(2 * 3600)


def test_diurnal_custom_curve_is_normalised_to_the_mean() -> None:
    curve = [1.0] * 12 + [3.0] * 12
    profile = diurnal(4, curve=curve, hours=24)
    assert profile.hourly[0] == pytest.approx(2 * 3600)
    assert profile.hourly[23] == pytest.approx(6 * 3600)


def test_spiky_traffic_puts_bursts_over_a_quiet_baseline() -> None:
    profile = spiky(10, burst_multiplier=10, bursts_per_day=2, hours=24)
    # 22 quiet hours + 2 hours at 10x carry a day of 10 req/s: baseline = 240 / 42 req/s.
    assert sorted(set(profile.hourly)) == pytest.approx([240 / 42 * 3600, 240 / 42 * 10 * 3600])
    assert sum(1 for r in profile.hourly if r > 10 * 3600) == 2


def test_measured_csv_reads_the_requests_column(tmp_path: Path) -> None:
    path = tmp_path / "hourly.csv"
    path.write_text("hour,requests\n2026-01-01T00,100\n2026-01-01T01,250\n\n2026-01-01T02,0\n")
    assert measured(path).hourly == (100.0, 250.0, 0.0)


def test_measured_csv_of_bare_numbers(tmp_path: Path) -> None:
    path = tmp_path / "hourly.csv"
    path.write_text("5\n7.5\n")
    assert measured(path).hourly == (5.0, 7.5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("requests\n10\n-3\n", ":3: -3 requests"),
        ("requests\n10\nlots\n", ":3: "),
        ("when,count\n1,2\n", "no 'requests' column"),
        ("", "no hourly request counts"),
    ],
)
def test_bad_measured_csv_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        measured(path)


def test_negative_rate_is_rejected() -> None:
    with pytest.raises(ConfigError, match=">= 0"):
        steady(-1)


def test_a_year_of_hours_is_twelve_full_months() -> None:
    months = steady(1, hours=8760).months()
    assert len(months) == 12
    assert all(len(hours) == HOURS_PER_MONTH and weight == 1.0 for hours, weight in months)


def test_a_day_repeats_to_fill_one_month() -> None:
    months = diurnal(1, hours=24).months()
    assert len(months) == 1
    assert len(months[0][0]) == HOURS_PER_MONTH


def test_a_trailing_part_month_counts_by_its_share() -> None:
    months = steady(1, hours=HOURS_PER_MONTH + 73).months()
    assert [weight for _, weight in months] == [1.0, pytest.approx(0.1)]
