"""The forecast timeline: start month and horizon (contract §5.1.2)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.errors import InvalidParams
from app.finance.inputs.ledger import MonthTotals
from app.finance.inputs.lookups import Context
from app.finance.months import add_months, month_index, month_key, parse_month

HORIZON_DEFAULT_MONTHS = 12
HORIZON_MIN_MONTHS = 3
HORIZON_MAX_MONTHS = 36
_HORIZON_STRING_RE = re.compile(r"^(\d+)\s*months?$", re.IGNORECASE)
_DIGITS_RE = re.compile(r"\d+")


@dataclass(frozen=True)
class Timeline:
    """The forecast months.

    Attributes:
        start: the first month, ``YYYY-MM``.
        start_index: :func:`~app.finance.months.month_index` of ``start``.
        months: every month key of the horizon, in order.
    """

    start: str
    start_index: int
    months: tuple[str, ...]

    @property
    def horizon(self) -> int:
        """H, the number of forecast months."""
        return len(self.months)


def resolve_timeline(
    ctx: Context,
    params: Mapping[str, Any],
    meta: Mapping[str, Any],
    ledger: Mapping[str, MonthTotals],
    created_month: str,
) -> Timeline:
    """The start (metadata, params, after the ledger, model creation) and the clamped horizon.

    Raises:
        InvalidParams: the run's own horizon is unreadable, or no start month can be found.
    """
    start = _resolve_start(ctx, params, meta, ledger, created_month)
    horizon = _resolve_horizon(ctx, params, meta)
    start_index = month_index(start)
    months = tuple(month_key(start_index + i) for i in range(horizon))
    return Timeline(start=start, start_index=start_index, months=months)


def _parse_horizon(raw: object, *, digits_anywhere: bool) -> int | None:
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if math.isfinite(raw) and raw.is_integer() else None
    if isinstance(raw, str):
        text = raw.strip()
        if text.lstrip("-").isdigit():
            return int(text)
        match = _HORIZON_STRING_RE.match(text)
        if match:
            return int(match.group(1))
        if digits_anywhere:
            found = _DIGITS_RE.search(text)
            return int(found.group()) if found else None
    return None


def _resolve_horizon(ctx: Context, params: Mapping[str, Any], meta: Mapping[str, Any]) -> int:
    candidates = [
        ("params.horizon", params.get("horizon"), False),
        ("params.forecast_horizon", params.get("forecast_horizon"), False),
        ("params.forecastMonths", params.get("forecastMonths"), False),
        ("metadata.forecastDuration", meta.get("forecastDuration"), False),
        ("metadata.duration", meta.get("duration"), True),
    ]
    horizon = HORIZON_DEFAULT_MONTHS
    for label, raw, digits_anywhere in candidates:
        if raw is None:
            continue
        parsed = _parse_horizon(raw, digits_anywhere=digits_anywhere)
        if parsed is None and label.startswith("params."):
            # This run's own input: a nonsense value is an input error, not a silent default.
            raise InvalidParams(
                f"params_json.{label.removeprefix('params.')} is not a number of months "
                "(or one of 3months, 6months, 9months, 12months, 18months, 24months, 36months)"
            )
        if parsed is None:
            ctx.warn(f"{label} is not a horizon in months; ignored")
            continue
        horizon = parsed
        break
    return min(HORIZON_MAX_MONTHS, max(HORIZON_MIN_MONTHS, horizon))


def _resolve_start(
    ctx: Context,
    params: Mapping[str, Any],
    meta: Mapping[str, Any],
    ledger: Mapping[str, MonthTotals],
    created_month: str,
) -> str:
    for label, raw in (
        ("metadata.startMonth", meta.get("startMonth")),
        ("metadata.start_month", meta.get("start_month")),
        ("params.startMonth", params.get("startMonth")),
    ):
        if raw is None:
            continue
        key = parse_month(raw)
        if key is not None:
            return key
        ctx.warn(f"{label} is not a YYYY-MM month; ignored")
    if ledger:
        return add_months(max(ledger, key=month_index), 1)
    key = parse_month(created_month)
    if key is None:
        raise InvalidParams("model creation month is not a YYYY-MM month")
    return key
