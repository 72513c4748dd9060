"""Model-run inputs as the database layer hands them over, and their resolution.

Implements contract §5.1.2 (timeline), §5.1.3 (resolved inputs) and the per-month sources of
§5.1.4 (manual > actual > driver > forecast). One module per section:

- ``records``: what the database layer hands over (``ModelInputs`` and its rows).
- ``lookups``: the override / params / assumptions lookup chains and what they disclose.
- ``timeline``: start month and horizon.
- ``ledger``: monthly totals, cost categories and the baseline window.
- ``levels``: initial cash, the revenue and expense baselines, the KPI inputs.
- ``rates``: growth, cogs share and churn, range-checked.
- ``rollup``: tax, working capital, capex, PPE, debt and NOL inputs with their defaults.
- ``month_sources``: the source of each month and the lines it gives (input drivers too).
- ``headcount``: new hires and their costs.
- ``resolve``: :func:`resolve_inputs`, the steps in contract order.
- ``resolved``: :class:`Resolved`, the result.
"""

from __future__ import annotations

from app.finance.inputs.ledger import is_cogs_category
from app.finance.inputs.records import DriverInput, HeadcountPlan, LedgerRow, ModelInputs
from app.finance.inputs.resolve import resolve_inputs
from app.finance.inputs.resolved import (
    LINES,
    SOURCE_ACTUAL,
    SOURCE_DRIVER,
    SOURCE_FORECAST,
    SOURCE_MANUAL,
    Resolved,
)

__all__ = [
    # What the database layer hands over
    "DriverInput",
    "HeadcountPlan",
    "LedgerRow",
    "ModelInputs",
    # Resolution and its result
    "Resolved",
    "resolve_inputs",
    # Rules other code shares
    "LINES",
    "SOURCE_ACTUAL",
    "SOURCE_DRIVER",
    "SOURCE_FORECAST",
    "SOURCE_MANUAL",
    "is_cogs_category",
]
