"""Monte Carlo drivers: parsing, validation, mapping and sampling (contract §5.2.3–5.2.4).

Order of operations for every sample: draw → clip to ``min``/``max`` (driver units) → percent
scaling → semantic clip of the engine input. Invalid specs raise ``InvalidParams`` naming the
driver; nothing silently becomes a constant or N(0, 1).

Units of rate drivers (issue 9 overrules §5.2.3 for the list form): an explicit ``unit`` wins;
a list-form (web UI) driver without one is in percent, whatever its centre; only a dict-form
driver without one falls back to "percent if its centre is above 1". Each driver records the
unit it was read in and why (:attr:`DriverSpec.unit`, :attr:`DriverSpec.unit_source`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.errors import ComputeError, InvalidParams
from app.finance.driver_units import UNIT_FROM_TARGET, UNIT_PERCENT, UNIT_UNUSED, read_unit
from app.finance.engine import ENGINE_INPUTS
from app.finance.numeric import as_number

NAME_MAX_CHARS = 60
PERCENT_DIVISOR = 100.0

# Normalised driver name -> engine input (§5.2.4); anything else is unused.
DRIVER_TARGETS: dict[str, str] = {
    "revenue_growth": "revenueGrowth",
    "growth_rate": "revenueGrowth",
    "mrr_growth": "revenueGrowth",
    "churn_rate": "churnRate",
    "churn": "churnRate",
    "cogs_percentage": "cogsPercentage",
    "cogs_pct": "cogsPercentage",
    "opex_percentage": "opexPercentage",
    "opex_pct": "opexPercentage",
    "opex_variance": "opexVariance",
    "expense_variance": "opexVariance",
    "cost_variance": "opexVariance",
    "expense_growth": "expenseGrowth",
    "opex_growth": "expenseGrowth",
    "cost_growth": "expenseGrowth",
    "ar_days": "arDays",
    "dso": "arDays",
    "ap_days": "apDays",
    "dpo": "apDays",
    "tax_rate": "taxRate",
    "capex_percentage": "capexPercentage",
    "capex_pct": "capexPercentage",
}
# Engine inputs counted in days; every other engine input is a rate, which a percent unit scales.
DAY_TARGETS = frozenset({"arDays", "apDays"})
RATE_TARGETS = frozenset(ENGINE_INPUTS) - DAY_TARGETS
# Semantic clip applied after percent scaling: engine input -> (lower, upper).
SEMANTIC_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "churnRate": (0.0, 0.99),
    "revenueGrowth": (-0.99, None),
    "expenseGrowth": (-0.99, None),
    "cogsPercentage": (0.0, None),
    "opexPercentage": (0.0, None),
    "capexPercentage": (0.0, None),
    "taxRate": (0.0, None),
    "arDays": (0.0, None),
    "apDays": (0.0, None),
    "opexVariance": (-1.0, None),
}
_LIST_NAME_KEYS = ("id", "name", "key", "driver", "driverName")
_DISTRIBUTION_ALIASES = {"fixed": "constant"}
DISTRIBUTIONS = ("normal", "lognormal", "triangular", "uniform", "beta", "gamma", "constant")

DISTRIBUTION_DEFINITIONS: dict[str, dict[str, Any]] = {
    "normal": {
        "name": "Normal",
        "params": ["mean (mu, value)", "stdDev (sigma, std, sd)", "min?", "max?"],
        "description": "Symmetric bell curve around the mean; stdDev 0 is a constant.",
    },
    "lognormal": {
        "name": "Log-normal",
        "params": ["mu + sigma (log space)", "or mean + stdDev (natural space)", "min?", "max?"],
        "description": "Positive, right-skewed values whose logarithm is normal.",
    },
    "triangular": {
        "name": "Triangular",
        "params": ["min", "max", "mode (mostLikely)"],
        "description": "Bounded by min and max with a peak at the most likely value.",
    },
    "uniform": {
        "name": "Uniform",
        "params": ["min", "max"],
        "description": "Every value between min and max is equally likely.",
    },
    "beta": {
        "name": "Beta",
        "params": ["alpha", "beta", "min (0)", "max (1)"],
        "description": "Bounded between min and max; alpha and beta shape the curve.",
    },
    "gamma": {
        "name": "Gamma",
        "params": ["shape (k) + scale (theta)", "or mean + stdDev", "min?", "max?"],
        "description": "Positive, right-skewed values such as costs or durations.",
    },
}


def normalise_name(name: str) -> str:
    """camelCase → snake_case, lower-case, spaces and hyphens → ``_``."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name.strip())
    text = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", "_", text)
    text = re.sub(r"[\s\-]+", "_", text.lower())
    return re.sub(r"_+", "_", text)


@dataclass(frozen=True)
class DriverSpec:
    """One validated driver.

    Attributes:
        name: the name as given (dict key or list item id).
        distribution: canonical distribution name (``fixed`` is ``constant``).
        params: canonical parameters (normal: mean, sd; lognormal: mu, sigma; triangular:
            left, mode, right; uniform: low, high; beta: alpha, beta, low, high; gamma: shape,
            scale; constant: value).
        clip_min: lower clip in driver units (not for uniform, beta, triangular).
        clip_max: upper clip in driver units.
        target: the engine input it replaces, or None (unused).
        percent_scaled: samples are divided by 100.
        unit: the unit it was read in: ``percent``, ``ratio``, ``days`` or ``unused``.
        unit_source: why: ``unit`` (its own), ``list form``, ``centre`` or ``engine input``.
    """

    name: str
    distribution: str
    params: dict[str, float]
    clip_min: float | None
    clip_max: float | None
    target: str | None
    percent_scaled: bool
    unit: str = UNIT_UNUSED
    unit_source: str = UNIT_FROM_TARGET

    def sample(self, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        """Draw, clip, scale and clip semantically; ``shape`` = (paths, months)."""
        x = _draw(self.distribution, self.params, rng, shape)  # a fresh array: edit in place
        if self.clip_min is not None or self.clip_max is not None:
            np.clip(x, self.clip_min, self.clip_max, out=x)
        if self.percent_scaled:
            x /= PERCENT_DIVISOR
        if self.target is not None:
            low, high = SEMANTIC_BOUNDS[self.target]
            np.clip(x, low, high, out=x)
        # min/max propagate NaN and expose ±inf without a temporary mask.
        if not (math.isfinite(x.min()) and math.isfinite(x.max())):
            raise ComputeError(f"driver '{self.name}' produced a non-finite sample")
        return x


def _draw(
    distribution: str, p: Mapping[str, float], rng: np.random.Generator, shape: tuple[int, int]
) -> np.ndarray:
    if distribution == "constant":
        return np.full(shape, p["value"])
    if distribution == "normal":
        return np.full(shape, p["mean"]) if p["sd"] == 0 else rng.normal(p["mean"], p["sd"], shape)
    if distribution == "lognormal":
        if p["sigma"] == 0:
            return np.full(shape, math.exp(p["mu"]))
        return rng.lognormal(p["mu"], p["sigma"], shape)
    if distribution == "triangular":
        if p["left"] == p["right"]:
            return np.full(shape, p["left"])
        return rng.triangular(p["left"], p["mode"], p["right"], shape)
    if distribution == "uniform":
        if p["low"] == p["high"]:
            return np.full(shape, p["low"])
        return rng.uniform(p["low"], p["high"], shape)
    if distribution == "beta":
        return p["low"] + (p["high"] - p["low"]) * rng.beta(p["alpha"], p["beta"], shape)
    if distribution == "gamma":
        return rng.gamma(p["shape"], p["scale"], shape)
    raise AssertionError(distribution)  # pragma: no cover - validated in parse


class _SpecReader:
    """Reads one driver's raw spec with aliases; every error names the driver."""

    def __init__(self, name: str, raw: Mapping[str, Any]):
        self.name = name
        self.raw = raw

    def fail(self, message: str) -> InvalidParams:
        shown = self.name if len(self.name) <= NAME_MAX_CHARS else self.name[:NAME_MAX_CHARS] + "…"
        return InvalidParams(f"driver '{shown}': {message}")

    def number(self, *aliases: str) -> float | None:
        """The first alias present (not null), as a finite number."""
        for alias in aliases:
            value = self.raw.get(alias)
            if value is None:
                continue
            number = as_number(value)
            if number is None:
                raise self.fail(f"{alias} is not a finite number")
            return number
        return None

    def required(self, what: str, *aliases: str) -> float:
        number = self.number(*aliases)
        if number is None:
            raise self.fail(f"missing {what} ({' | '.join(aliases)})")
        return number


def _driver_name(item: Mapping[str, Any], index: int) -> str:
    for key in _LIST_NAME_KEYS:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return f"driver_{index}"


def _raw_items(drivers: object) -> tuple[list[tuple[str, Any]], bool]:
    """``(name, spec)`` pairs, and whether they came in the list (web UI) form."""
    if drivers is None:
        return [], False
    if isinstance(drivers, Mapping):
        return [(str(name), spec) for name, spec in drivers.items()], False
    if isinstance(drivers, list):
        items: list[tuple[str, Any]] = []
        for index, item in enumerate(drivers):
            if not isinstance(item, Mapping):
                raise InvalidParams(f"driver 'driver_{index}': spec must be an object")
            items.append((_driver_name(item, index), item))
        return items, True
    raise InvalidParams("drivers must be an object or a list")


def _parse_one(name: str, raw: object, list_form: bool = False) -> DriverSpec:
    if not isinstance(raw, Mapping):
        raise _SpecReader(name, {}).fail("spec must be an object")
    r = _SpecReader(name, raw)
    dist_raw = raw.get("dist")
    if dist_raw is None:
        dist_raw = raw.get("distribution")
    if dist_raw is None:
        dist_raw = "normal"
    if not isinstance(dist_raw, str):
        raise r.fail("distribution must be a string")
    distribution = dist_raw.strip().lower()
    distribution = _DISTRIBUTION_ALIASES.get(distribution, distribution)
    if distribution not in DISTRIBUTIONS:
        raise r.fail(f"unknown distribution '{dist_raw[:NAME_MAX_CHARS]}'")

    lo, hi = r.number("min"), r.number("max")
    if lo is not None and hi is not None and lo > hi:
        raise r.fail("min is greater than max")
    clip_min, clip_max = lo, hi
    params: dict[str, float]
    mean = r.number("mean")
    if distribution == "normal":
        centre = r.required("mean", "mu", "mean", "value")
        sd = r.required("standard deviation", "sigma", "std", "stdDev", "sd")
        if sd < 0:
            raise r.fail("standard deviation must be >= 0")
        params = {"mean": centre, "sd": sd}
    elif distribution == "lognormal":
        mu = r.number("mu")
        if mu is not None:
            sigma = r.required("sigma", "sigma")
            if sigma < 0:
                raise r.fail("sigma must be >= 0")
            centre = math.exp(mu)
        else:
            if mean is None:
                raise r.fail("lognormal needs mu and sigma, or mean and stdDev")
            sd = r.required("standard deviation", "stdDev", "std", "sd")
            if mean <= 0:
                raise r.fail("lognormal mean must be > 0")
            if sd < 0:
                raise r.fail("standard deviation must be >= 0")
            sigma = math.sqrt(math.log1p(sd * sd / (mean * mean)))
            mu = math.log(mean) - sigma * sigma / 2.0
            centre = mean
        params = {"mu": mu, "sigma": sigma}
    elif distribution == "triangular":
        if lo is None or hi is None:
            raise r.fail("triangular needs min and max")
        mode = r.number("mode", "mostLikely")
        if mode is None:
            mode = min(hi, max(lo, 3.0 * mean - lo - hi)) if mean is not None else (lo + hi) / 2
        elif not lo <= mode <= hi:
            raise r.fail("mode must lie between min and max")
        params = {"left": lo, "mode": mode, "right": hi}
        centre = mean if mean is not None else mode
        clip_min = clip_max = None
    elif distribution == "uniform":
        if lo is None or hi is None:
            raise r.fail("uniform needs min and max")
        params = {"low": lo, "high": hi}
        centre = (lo + hi) / 2
        clip_min = clip_max = None
    elif distribution == "beta":
        alpha = r.required("alpha", "alpha")
        beta = r.required("beta", "beta")
        if alpha <= 0 or beta <= 0:
            raise r.fail("alpha and beta must be > 0")
        low = 0.0 if lo is None else lo
        high = 1.0 if hi is None else hi
        if low > high:
            raise r.fail("min is greater than max")
        params = {"alpha": alpha, "beta": beta, "low": low, "high": high}
        centre = (low + high) / 2
        clip_min = clip_max = None
    elif distribution == "gamma":
        shape = r.number("shape", "k")
        if shape is not None:
            scale = r.required("scale", "scale", "theta")
            if shape <= 0 or scale <= 0:
                raise r.fail("shape and scale must be > 0")
        else:
            if mean is None:
                raise r.fail("gamma needs shape and scale, or mean and stdDev")
            sd = r.required("standard deviation", "stdDev", "std", "sd")
            if mean <= 0 or sd <= 0:
                raise r.fail("gamma mean and standard deviation must be > 0")
            shape, scale = mean * mean / (sd * sd), sd * sd / mean
        params = {"shape": shape, "scale": scale}
        centre = mean if mean is not None else shape * scale
    else:  # constant
        value = r.required("value", "value", "mean")
        params = {"value": value}
        centre = value

    target = DRIVER_TARGETS.get(normalise_name(name))
    unit, unit_source = read_unit(
        raw.get("unit"),
        target=target,
        rate=target in RATE_TARGETS,
        centre=centre,
        list_form=list_form,
        fail=r.fail,
    )
    return DriverSpec(
        name=name,
        distribution=distribution,
        params=params,
        clip_min=clip_min,
        clip_max=clip_max,
        target=target,
        percent_scaled=unit == UNIT_PERCENT,
        unit=unit,
        unit_source=unit_source,
    )


def parse_drivers(drivers: object) -> list[DriverSpec]:
    """Validate every driver (dict or list form), in sorted-name order.

    List-form (web UI) rate drivers are in percent unless they carry a ``unit``.

    Raises:
        InvalidParams: a malformed spec, a duplicate name, or two drivers for one engine input.
    """
    specs: dict[str, DriverSpec] = {}
    items, list_form = _raw_items(drivers)
    for name, raw in items:
        if name in specs:
            raise _SpecReader(name, {}).fail("duplicate driver name")
        specs[name] = _parse_one(name, raw, list_form)
    by_target: dict[str, str] = {}
    for name in sorted(specs):
        target = specs[name].target
        if target is None:
            continue
        if target in by_target:
            raise InvalidParams(f"drivers '{by_target[target]}' and '{name}' both map to {target}")
        by_target[target] = name
    return [specs[name] for name in sorted(specs)]
