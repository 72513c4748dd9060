"""Inputs of the statement roll-up: tax, working capital, capex, PPE, debt, NOL (§5.1.3).

Each is ``overrides.<name>``, else ``assumptions.<name>``, else its disclosed default.
"""

from __future__ import annotations

from app.errors import InvalidParams
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


def resolve_rollup(ctx: Context) -> dict[str, float]:
    """Every roll-up input by its contract name, looked up in :data:`ROLLUP_DEFAULTS` order.

    Raises:
        InvalidParams: a negative ``nolBalance``.
    """
    rollup = {
        name: ctx.lookup(name, refs(f"O.{name}", f"A.{name}"), default)
        for name, default in ROLLUP_DEFAULTS.items()
    }
    if rollup["nolBalance"] < 0:
        raise InvalidParams("nolBalance must be >= 0")
    return rollup
