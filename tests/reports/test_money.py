"""Number formatting of the exports."""

from __future__ import annotations

import math

import pytest

from app.reports.money import Formatter, currency_prefix, month_label, short_month_label


@pytest.mark.parametrize(
    ("currency", "expected"),
    [
        ("USD", "$1,234,567.89"),
        ("EUR", "€1,234,567.89"),
        ("GBP", "£1,234,567.89"),
        ("INR", "₹1,234,567.89"),
        ("JPY", "¥1,234,567.89"),
        ("CHF", "CHF 1,234,567.89"),
        ("usd", "$1,234,567.89"),
    ],
)
def test_money_uses_the_org_currency_thousands_separators_and_two_decimals(
    currency: str, expected: str
) -> None:
    assert Formatter(currency).money(1234567.891) == expected


def test_negative_money_puts_the_sign_before_the_symbol() -> None:
    assert Formatter("USD").money(-746823.149) == "-$746,823.15"
    assert Formatter("CHF").money(-5) == "-CHF 5.00"
    assert Formatter("USD").money(-0.001) == "$0.00"


@pytest.mark.parametrize("value", [None, math.nan, math.inf, "12", True])
def test_null_and_non_numbers_print_as_not_available(value: object) -> None:
    f = Formatter("USD")
    assert f.money(value) == "n/a"
    assert f.percent(value) == "n/a"
    assert f.ratio(value) == "n/a"
    assert f.months(value) == "n/a"


def test_percentages_ratios_and_runway_are_formatted_for_reading() -> None:
    f = Formatter("USD")
    assert f.percent(0.78) == "78.00%"
    assert f.points(35.1447) == "35.14%"
    assert f.ratio(25.2814) == "25.28x"
    assert f.months(10.527) == "10.53 months"
    assert f.months(999) == "No burn"
    assert f.runway(999, burn=0) == "No burn"
    assert f.runway(999, burn=1_250.5) == "999.00 months"  # a real runway beside a real burn
    assert f.runway(1_200.5) == "1,200.50 months"
    assert f.runway(None) == "n/a"
    assert f.count(480) == "480"
    assert f.compact(2_293_178) == "$2.29M"
    assert f.compact(-350_000) == "-$350K"


def test_a_symbol_the_font_lacks_falls_back_to_the_currency_code() -> None:
    assert currency_prefix("INR", {"₹"}) == "INR "
    assert Formatter("INR", frozenset({"₹"})).money(10) == "INR 10.00"
    assert currency_prefix("EUR", {"₹"}) == "€"


def test_month_labels_are_readable() -> None:
    assert month_label("2025-03") == "Mar 2025"
    assert short_month_label("2025-03") == "Mar '25"
    assert month_label("not a month") == "not a month"
