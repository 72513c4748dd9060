"""Amounts at the numeric(20,4) limit."""

from __future__ import annotations

import pytest

from app.imports.amounts import AmountOutOfRange, parse_amount


@pytest.mark.parametrize("cell", ["9999999999999999.99999", "-9999999999999999.99995", "9" * 60])
def test_amounts_that_reach_the_limit_after_rounding_or_are_huge_are_out_of_range(cell):
    with pytest.raises(AmountOutOfRange):
        parse_amount(cell)


def test_the_largest_amount_that_fits_is_kept_to_the_cent():
    assert str(parse_amount("9999999999999999.9999")) == "9999999999999999.9999"
