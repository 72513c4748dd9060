"""Inputs of the statement roll-up: tax, working capital, capex, PPE, debt, NOL (§5.1.3).

Each is ``overrides.<name>``, else ``assumptions.<name>``, else its disclosed default; an
explicit value must lie in its range.
"""

from __future__ import annotations

from app.finance.inputs.bounds import ANNUAL_RATE, DAYS, FRACTION, LEVEL, SHARE, Bounds
from app.finance.inputs.lookups import Context, refs

ROLLUP_DEFAULTS: dict[str, float] = {
    "taxRate": 0.25,
    "arDays": 0.0,
    "apDays": 0.0,
    "capexPercentage": 0.0,
    "depreciationRate": 0.02,
    "ppe": 0.0,
    "debt": 0.0,
    "interestRate": 0.08,
    "debtRepaymentRate": 0.01,
    "nolBalance": 0.0,
}
ROLLUP_BOUNDS: dict[str, Bounds] = {
    "taxRate": FRACTION,
    "arDays": DAYS,
    "apDays": DAYS,
    "capexPercentage": SHARE,
    "depreciationRate": FRACTION,
    "ppe": LEVEL,
    "debt": LEVEL,
    "interestRate": ANNUAL_RATE,
    "debtRepaymentRate": FRACTION,
    "nolBalance": LEVEL,
}


def resolve_rollup(ctx: Context) -> dict[str, float]:
    """Every roll-up input by its contract name, looked up in :data:`ROLLUP_DEFAULTS` order.

    Raises:
        InvalidParams: an explicit value that is not a finite number in its range (e.g. a
            negative ``nolBalance``).
    """
    return {
        name: ctx.lookup(name, refs(f"O.{name}", f"A.{name}", bounds=ROLLUP_BOUNDS[name]), default)
        for name, default in ROLLUP_DEFAULTS.items()
    }
