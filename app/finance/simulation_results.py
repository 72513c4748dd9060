"""What a Monte Carlo simulation is summarised into: ``percentiles_json`` and ``sensitivity_json``.

Percentiles and confidence intervals of ending cash per month, survival probabilities and
the driver sensitivity (Pearson and Spearman against the final month's cash), contract §5.2.5.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from app.finance.distributions import DISTRIBUTION_DEFINITIONS, DriverSpec
from app.finance.inputs import Resolved
from app.finance.output import PROBABILITY_DECIMALS, rounded

PERCENTILES = (5, 10, 25, 50, 75, 90, 95)
CONFIDENCE_INTERVALS = {"ci_80": (10.0, 90.0), "ci_90": (5.0, 95.0), "ci_95": (2.5, 97.5)}
RUNWAY_THRESHOLDS_MONTHS = (3, 6, 9, 12, 18, 24)
RISK_HIGH_BELOW = 0.5
RISK_MEDIUM_BELOW = 0.8


@dataclass(frozen=True)
class Simulation:
    """Raw simulation output.

    Attributes:
        cash: ``(N, H)`` ending cash per path and month.
        driver_means: used driver name -> ``(N,)`` per-path mean of its scaled draws.
    """

    cash: np.ndarray
    driver_means: dict[str, np.ndarray]


def _r(value: float) -> float:
    return rounded(value, PROBABILITY_DECIMALS)


def _survival(cash: np.ndarray, months: list[str]) -> dict[str, Any]:
    n, horizon = cash.shape
    alive = np.logical_and.accumulate(cash > 0, axis=1)
    survived = alive.sum(axis=0)

    def entry(count: int) -> dict[str, Any]:
        p = count / n
        return {
            "probability": _r(p),
            "percentage": rounded(p * 100.0),
            "simulationsSurvived": int(count),
            "simulationsFailed": int(n - count),
        }

    by_month = [{"month": key, **entry(int(survived[i]))} for i, key in enumerate(months)]
    thresholds = {
        f"{t}_months": {"thresholdMonths": t, **entry(int(survived[t - 1]))}
        for t in RUNWAY_THRESHOLDS_MONTHS
        if t <= horizon
    }
    failed = ~alive[:, -1]
    if failed.any():
        months_to_failure = np.argmax(~alive[failed], axis=1) + 1.0
        average = float(np.mean(months_to_failure))
        median = float(np.median(months_to_failure))
    else:
        average = median = float(horizon)
    full = int(survived[-1])
    p_full = full / n
    risk = "high" if p_full < RISK_HIGH_BELOW else "medium" if p_full < RISK_MEDIUM_BELOW else "low"
    return {
        "byMonth": by_month,
        "runwayThresholds": thresholds,
        "overall": {
            "probabilitySurvivingFullPeriod": _r(p_full),
            "percentageSurvivingFullPeriod": rounded(p_full * 100.0),
            "averageMonthsToFailure": rounded(average),
            "medianMonthsToFailure": rounded(median),
            "totalSimulations": n,
            "simulationsSurvived": full,
            "simulationsFailed": n - full,
        },
        "summary": {
            "keyMessage": (
                f"Probability of survival: {p_full * 100:.1f}% chance of surviving the full "
                f"{horizon}-month forecast period"
            ),
            "riskLevel": risk,
        },
    }


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson r with deterministic (pairwise) sums; 0 when either side has no variance."""
    if x.min() == x.max() or y.min() == y.max():
        return 0.0
    dx, dy = x - x.mean(), y - y.mean()
    sxx, syy = float(np.sum(dx * dx)), float(np.sum(dy * dy))
    if sxx <= 0 or syy <= 0:
        return 0.0
    return max(-1.0, min(1.0, float(np.sum(dx * dy)) / math.sqrt(sxx * syy)))


def _p_value(r: float, n: int, degenerate: bool) -> float:
    """Two-sided p of Pearson's test (t with n − 2 degrees of freedom)."""
    if degenerate or n <= 2:
        return 1.0
    if abs(r) >= 1.0:
        return 0.0
    t = abs(r) * math.sqrt((n - 2) / (1.0 - r * r))
    return float(min(1.0, 2.0 * stats.t.sf(t, n - 2)))


def sensitivity_rows(sim: Simulation) -> list[dict[str, Any]]:
    """``sensitivity_json``: one row per used driver, sorted by |r| descending (then name)."""
    y = sim.cash[:, -1]
    n = y.size
    y_ranks = stats.rankdata(y, method="average")
    rows: list[tuple[float, str, float, float, float]] = []
    for name, x in sim.driver_means.items():
        r = _pearson(x, y)
        rho = _pearson(stats.rankdata(x, method="average"), y_ranks)
        degenerate = bool(x.min() == x.max() or y.min() == y.max())
        rows.append((abs(r), name, r, rho, _p_value(r, n, degenerate)))
    rows.sort(key=lambda row: (-row[0], row[1]))
    return [
        {
            "driver": name,
            "correlation": _r(r),
            "spearman_correlation": _r(rho),
            "abs_correlation": _r(abs_r),
            "p_value": p_value,
        }
        for abs_r, name, r, rho, p_value in rows
    ]


def percentiles_document(
    sim: Simulation,
    res: Resolved,
    specs: list[DriverSpec],
    sensitivity: list[dict[str, Any]],
    meta: dict[str, Any],
) -> dict[str, Any]:
    """The ``percentiles_json`` document of §5.2.5."""
    months = list(res.months)
    ci_levels = sorted({q for pair in CONFIDENCE_INTERVALS.values() for q in pair})
    levels = sorted(set(PERCENTILES) | set(ci_levels))
    values = np.percentile(sim.cash, levels, axis=0)
    at = {q: values[i] for i, q in enumerate(levels)}
    series = {f"p{q}": [rounded(x) for x in at[q]] for q in PERCENTILES}
    monthly = {
        key: {f"p{q}": series[f"p{q}"][i] for q in PERCENTILES} for i, key in enumerate(months)
    }
    intervals = {
        name: {
            "lower": [rounded(x) for x in at[lo]],
            "upper": [rounded(x) for x in at[hi]],
            "width": [rounded(x) for x in at[hi] - at[lo]],
        }
        for name, (lo, hi) in CONFIDENCE_INTERVALS.items()
    }
    tornado = {
        row["driver"]: {
            "pearson_correlation": row["correlation"],
            "spearman_correlation": row["spearman_correlation"],
            "abs_correlation": row["abs_correlation"],
        }
        for row in sensitivity
    }
    return {
        "meta": meta,
        "monthly": monthly,
        "series": series,
        "percentiles_table": {"months": months, **series},
        "survival_probability": _survival(sim.cash, months),
        "confidence_intervals": intervals,
        "tornado_sensitivity": tornado,
        "distribution_definitions": copy.deepcopy(DISTRIBUTION_DEFINITIONS),
    }
