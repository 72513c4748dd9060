"""The source of each forecast month: manual > actual > driver > forecast (contract §5.1.4).

The model's input drivers are one source: a driver named for a line gives its monthly values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.errors import InvalidParams
from app.finance.inputs.bounds import MONEY
from app.finance.inputs.ledger import MonthTotals
from app.finance.inputs.lookups import Context, mapping
from app.finance.inputs.records import DriverInput
from app.finance.inputs.resolved import (
    LINES,
    SOURCE_ACTUAL,
    SOURCE_DRIVER,
    SOURCE_FORECAST,
    SOURCE_MANUAL,
)
from app.finance.months import is_month_key
from app.finance.numeric import as_number

# Trimmed, lower-cased driver name -> line, in priority order when two drivers give one line.
INPUT_DRIVER_NAMES: dict[str, str] = {
    "revenue": "revenue",
    "cogs": "cogs",
    "cost of goods sold": "cogs",
    "opex": "opex",
    "operating expenses": "opex",
    "expenses": "opex",
}


@dataclass(frozen=True)
class MonthSources:
    """Per month: its source and the lines it fixes.

    Attributes:
        sources: ``manual``, ``actual``, ``driver`` or ``forecast`` per month.
        given: line -> ``(H,)`` values fixed by the month's source (0 elsewhere).
        given_mask: line -> ``(H,)`` true where ``given`` holds the value.
        actual_months: the months whose lines come from the ledger.
    """

    sources: tuple[str, ...]
    given: dict[str, np.ndarray]
    given_mask: dict[str, np.ndarray]
    actual_months: set[str]


def month_sources(
    ctx: Context,
    model_json: Mapping[str, Any],
    ledger: Mapping[str, MonthTotals],
    drivers: Sequence[DriverInput],
    months: Sequence[str],
) -> MonthSources:
    """The first source with a value for each month; a manual entry may give only some lines."""
    horizon = len(months)
    given = {line: np.zeros(horizon) for line in LINES}
    mask = {line: np.zeros(horizon, dtype=bool) for line in LINES}
    manual = mapping(model_json.get("manualInputs"))
    by_driver = driver_values(ctx, drivers)
    sources: list[str] = []
    actual_months: set[str] = set()
    for i, key in enumerate(months):
        values = _manual_values(key, manual.get(key))
        if values:
            source = SOURCE_MANUAL
        elif key in ledger:
            totals = ledger[key]
            values = {"revenue": totals.inflow, "cogs": totals.cogs, "opex": totals.opex}
            source = SOURCE_ACTUAL
            actual_months.add(key)
        else:
            values = {line: by_driver[line][key] for line in LINES if key in by_driver[line]}
            source = SOURCE_DRIVER if values else SOURCE_FORECAST
        for line, number in values.items():
            given[line][i] = number
            mask[line][i] = True
        sources.append(source)
    return MonthSources(tuple(sources), given, mask, actual_months)


def _manual_values(key: str, entry: object) -> dict[str, float]:
    """The lines of ``manualInputs.<key>`` that are given (null or blank lines are not).

    Raises:
        InvalidParams: a given line is not a finite amount (never silently replaced by the
            forecast).
    """
    values: dict[str, float] = {}
    if not isinstance(entry, Mapping):
        return values
    for line in LINES:
        raw = entry.get(line)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        number = as_number(raw)
        if number is None or not MONEY.contains(number):
            raise InvalidParams(f"manualInputs.{key}.{line} must be {MONEY.describe()}")
        values[line] = number
    return values


def driver_values(ctx: Context, drivers: Sequence[DriverInput]) -> dict[str, dict[str, float]]:
    """Per line, month -> value from the input drivers (formula-based ones are ignored).

    Where two drivers give one line, the higher-priority name wins month by month.
    """
    by_line: dict[str, dict[str, float]] = {line: {} for line in LINES}
    seen: dict[str, str] = {}
    for line, driver in _matched(ctx, drivers):
        if line in seen:
            ctx.warn(
                f"drivers '{seen[line]}' and '{driver.name}' both give {line}; "
                f"'{seen[line]}' wins where both have a value"
            )
        else:
            seen[line] = driver.name
        for month, raw in driver.values.items():
            value = as_number(raw)
            if value is None or not is_month_key(month):
                ctx.warn(f"driver '{driver.name}' has a non-numeric or misdated value; ignored")
                continue
            by_line[line].setdefault(month, value)
    return by_line


def _matched(ctx: Context, drivers: Sequence[DriverInput]) -> list[tuple[str, DriverInput]]:
    """(line, driver) of the input drivers with a known name, in priority then input order."""
    priority = list(INPUT_DRIVER_NAMES)
    matched: list[tuple[int, int, str, DriverInput]] = []
    for position, driver in enumerate(drivers):
        if driver.is_calculated or driver.has_formula:
            ctx.warn(f"driver '{driver.name}' is formula-based; formulas are not evaluated")
            continue
        norm = driver.name.strip().lower()
        if norm in INPUT_DRIVER_NAMES:
            matched.append((priority.index(norm), position, INPUT_DRIVER_NAMES[norm], driver))
    ordered = sorted(matched, key=lambda item: (item[0], item[1]))
    return [(line, driver) for _, _, line, driver in ordered]
