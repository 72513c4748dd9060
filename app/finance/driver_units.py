"""The unit a Monte Carlo rate driver is read in (contract §5.2.3, as issue 9 overrules it).

An explicit ``unit`` wins (``%``/``percent``/``pct`` or ``ratio``/``fraction``). Without one,
a list-form driver (the web UI's ``[{id, mean, stdDev, …}]``) is in percent whatever its
centre: the UI's churn of 0.8 means 0.8 %, not 80 %. Only a dict-form driver without a unit
keeps the heuristic "percent if its centre is above 1". Day counts and unused drivers are
never scaled.
"""

from __future__ import annotations

from collections.abc import Callable

UNIT_PERCENT = "percent"
UNIT_RATIO = "ratio"
UNIT_DAYS = "days"
UNIT_UNUSED = "unused"
UNIT_FROM_PARAM = "unit"  # the driver's own ``unit``
UNIT_FROM_LIST_FORM = "list form"  # web UI drivers are in percent
UNIT_FROM_CENTRE = "centre"  # dict form without a unit: percent if |centre| > 1
UNIT_FROM_TARGET = "engine input"  # day counts are days; unused drivers have no unit
PERCENT_UNITS = frozenset({"%", "percent", "pct"})
RATIO_UNITS = frozenset({"ratio", "fraction"})


def read_unit(
    unit_raw: object,
    *,
    target: str | None,
    rate: bool,
    centre: float,
    list_form: bool,
    fail: Callable[[str], Exception],
) -> tuple[str, str]:
    """``(unit, why)`` of one driver: ``percent``/``ratio``/``days``/``unused`` and its source.

    Args:
        unit_raw: the driver's ``unit`` value, if any.
        target: the engine input the driver replaces (None: unused).
        rate: the target is a rate (percent scaling applies).
        centre: the driver's centre (mean, mu, mode or midpoint) in its own units.
        list_form: the drivers came as the web UI's list.
        fail: builds the error that names the driver.

    Raises:
        InvalidParams: (from ``fail``) a rate driver's unit is none of the accepted ones.
    """
    if target is None:
        return UNIT_UNUSED, UNIT_FROM_TARGET
    if not rate:
        return UNIT_DAYS, UNIT_FROM_TARGET
    unit = unit_raw.strip().lower() if isinstance(unit_raw, str) else unit_raw
    if unit in PERCENT_UNITS:
        return UNIT_PERCENT, UNIT_FROM_PARAM
    if unit in RATIO_UNITS:
        return UNIT_RATIO, UNIT_FROM_PARAM
    if unit not in (None, ""):
        raise fail("unit must be %, percent, pct, ratio or fraction")
    if list_form:
        return UNIT_PERCENT, UNIT_FROM_LIST_FORM
    return (UNIT_PERCENT if abs(centre) > 1 else UNIT_RATIO), UNIT_FROM_CENTRE
