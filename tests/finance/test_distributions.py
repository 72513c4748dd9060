"""Monte Carlo drivers: names, aliases, validation, scaling and clipping (§5.2.3–5.2.4)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from app.errors import InvalidParams
from app.finance.distributions import (
    DISTRIBUTION_DEFINITIONS,
    DRIVER_TARGETS,
    SEMANTIC_BOUNDS,
    DriverSpec,
    normalise_name,
    parse_drivers,
)
from app.finance.engine import ENGINE_INPUTS

SHAPE = (20_000, 6)


def one(name: str, spec: dict[str, Any]) -> DriverSpec:
    (parsed,) = parse_drivers({name: spec})
    return parsed


def draw(spec: DriverSpec, seed: int = 7) -> np.ndarray:
    return spec.sample(np.random.default_rng(seed), SHAPE)


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("revenue_growth", "revenue_growth"),
        ("revenueGrowth", "revenue_growth"),
        ("RevenueGrowth", "revenue_growth"),
        ("MRRGrowth", "mrr_growth"),
        ("MRR Growth", "mrr_growth"),
        ("cost-variance", "cost_variance"),
        ("  Churn Rate ", "churn_rate"),
        ("DSO", "dso"),
        ("capexPct", "capex_pct"),
    ],
)
def test_driver_names_are_normalised_to_snake_case(raw: str, normalised: str) -> None:
    assert normalise_name(raw) == normalised


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("revenue_growth", "revenueGrowth"),
        ("growthRate", "revenueGrowth"),
        ("mrr_growth", "revenueGrowth"),
        ("churn", "churnRate"),
        ("Churn Rate", "churnRate"),
        ("cogs_pct", "cogsPercentage"),
        ("opexPercentage", "opexPercentage"),
        ("expense_variance", "opexVariance"),
        ("cost_growth", "expenseGrowth"),
        ("dso", "arDays"),
        ("ap_days", "apDays"),
        ("tax_rate", "taxRate"),
        ("capex_percentage", "capexPercentage"),
        ("cac", None),
        ("conversion_rate", None),
        ("dio", None),
    ],
)
def test_driver_names_map_to_engine_inputs_or_are_unused(name: str, target: str | None) -> None:
    assert one(name, {"mean": 0.1, "stdDev": 0.01}).target == target


@pytest.mark.parametrize(
    ("spec", "params"),
    [
        ({"mu": 1.0, "sigma": 0.5}, {"mean": 1.0, "sd": 0.5}),
        ({"value": 2.0, "sd": 0.1}, {"mean": 2.0, "sd": 0.1}),
        ({"mean": 3.0, "std": 0.2}, {"mean": 3.0, "sd": 0.2}),
        ({"distribution": "NORMAL", "mean": 3.0, "stdDev": 0.0}, {"mean": 3.0, "sd": 0.0}),
        ({"dist": "fixed", "value": 4.0}, {"value": 4.0}),
        ({"dist": "constant", "mean": 4.5}, {"value": 4.5}),
        ({"dist": "uniform", "min": "1", "max": 2}, {"low": 1.0, "high": 2.0}),
        (
            {"dist": "triangular", "min": 0, "max": 10, "mostLikely": 2},
            {"left": 0, "mode": 2, "right": 10},
        ),
        ({"dist": "gamma", "k": 2, "theta": 3}, {"shape": 2, "scale": 3}),
        ({"dist": None, "distribution": "Uniform", "min": 1, "max": 2}, {"low": 1, "high": 2}),
        ({"dist": "beta", "alpha": 2, "beta": 3}, {"alpha": 2, "beta": 3, "low": 0, "high": 1}),
    ],
)
def test_parameter_aliases_are_read(spec: dict[str, Any], params: dict[str, float]) -> None:
    assert one("x", spec).params == params


@pytest.mark.parametrize(
    ("spec", "mode"),
    [
        ({"min": 2, "max": 6}, 4),
        ({"min": 0, "max": 10, "mean": 4}, 2),  # 3·4 − 0 − 10
        ({"min": 0, "max": 10, "mean": 3}, 0),  # clamp(−1, 0, 10)
        ({"min": 0, "max": 10, "mean": 9}, 10),  # clamp(17, 0, 10)
    ],
)
def test_triangular_mode_defaults_from_the_mean_or_the_midpoint(
    spec: dict[str, Any], mode: float
) -> None:
    assert one("x", {"dist": "triangular", **spec}).params["mode"] == mode


def test_lognormal_from_natural_moments_matches_the_requested_mean() -> None:
    spec = one("x", {"dist": "lognormal", "mean": 100.0, "stdDev": 20.0})
    sigma2 = math.log(1 + 0.04)
    assert spec.params == pytest.approx({"mu": math.log(100) - sigma2 / 2, "sigma": sigma2**0.5})
    assert draw(spec).mean() == pytest.approx(100.0, rel=0.01)


@pytest.mark.parametrize(
    ("spec", "mean"),
    [
        ({"dist": "normal", "mean": 5.0, "stdDev": 2.0}, 5.0),
        ({"dist": "lognormal", "mu": 0.0, "sigma": 0.5}, math.exp(0.125)),
        ({"dist": "triangular", "min": 0, "max": 9, "mode": 3}, 4.0),
        ({"dist": "uniform", "min": 2, "max": 4}, 3.0),
        ({"dist": "beta", "alpha": 2, "beta": 6, "min": 10, "max": 18}, 12.0),
        ({"dist": "beta", "alpha": 3, "beta": 1}, 0.75),
        ({"dist": "gamma", "shape": 4, "scale": 0.5}, 2.0),
        ({"dist": "gamma", "mean": 30, "stdDev": 5}, 30.0),
    ],
)
def test_samples_have_the_mean_of_their_distribution(spec: dict[str, Any], mean: float) -> None:
    values = draw(one("unused_driver", spec))
    assert values.shape == SHAPE
    assert values.mean() == pytest.approx(mean, rel=0.01)


def test_degenerate_distributions_are_constants() -> None:
    for spec in (
        {"dist": "normal", "mean": 2.5, "sd": 0},
        {"dist": "uniform", "min": 2.5, "max": 2.5},
        {"dist": "triangular", "min": 2.5, "max": 2.5},
        {"dist": "lognormal", "mu": math.log(2.5), "sigma": 0},
        {"dist": "beta", "alpha": 2, "beta": 2, "min": 2.5, "max": 2.5},
        {"dist": "fixed", "value": 2.5},
    ):
        values = draw(one("unused", spec))
        assert np.allclose(values, 2.5, rtol=1e-15, atol=0), spec


def test_draws_vary_by_month_within_a_path() -> None:
    values = draw(one("opex_variance", {"mean": 0, "stdDev": 0.1}))
    # Unbiased within-path variance ≈ σ² = 0.01; averaging a path's draws (P21) would give 0.
    assert values.var(axis=1, ddof=1).mean() == pytest.approx(0.01, rel=0.05)


# --- scaling and clipping --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "spec", "scaled"),
    [
        ("revenue_growth", {"mean": 8, "stdDev": 2}, True),
        ("revenue_growth", {"mean": 0.08, "stdDev": 0.02}, False),
        ("revenue_growth", {"mean": 0.5, "stdDev": 0.02, "unit": "%"}, True),
        ("revenue_growth", {"mean": 0.5, "stdDev": 0.02, "unit": "percent"}, True),
        ("revenue_growth", {"mean": 0.5, "stdDev": 0.02, "unit": "PCT"}, True),
        ("revenue_growth", {"mean": 8, "stdDev": 2, "unit": "ratio"}, False),
        ("revenue_growth", {"mean": 8, "stdDev": 2, "unit": "fraction"}, False),
        ("churn", {"dist": "uniform", "min": 1, "max": 3}, True),
        ("churn", {"dist": "triangular", "min": 0, "max": 3, "mode": 1}, False),
        ("tax_rate", {"dist": "beta", "alpha": 2, "beta": 2, "min": 0, "max": 40}, True),
        ("opex_variance", {"dist": "lognormal", "mu": 0.5, "sigma": 0.1}, True),
        ("ar_days", {"mean": 45, "stdDev": 5}, False),
        ("cac", {"mean": 500, "stdDev": 5}, False),
    ],
)
def test_percent_scaling_applies_to_rate_drivers_by_unit_or_centre(
    name: str, spec: dict[str, Any], scaled: bool
) -> None:
    assert one(name, spec).percent_scaled is scaled


def test_driver_targets_and_semantic_clips_cover_exactly_the_engine_inputs() -> None:
    assert set(DRIVER_TARGETS.values()) == set(ENGINE_INPUTS) == set(SEMANTIC_BOUNDS)


def test_min_max_clip_in_driver_units_before_percent_scaling() -> None:
    spec = one("revenue_growth", {"mean": 5, "stdDev": 50, "min": 0, "max": 10})
    values = draw(spec)
    assert values.min() == 0.0 and values.max() == pytest.approx(0.1)
    assert (values == 0.0).mean() > 0.3


@pytest.mark.parametrize(
    ("name", "spec", "low", "high"),
    [
        ("churn_rate", {"mean": 0.5, "stdDev": 2, "unit": "ratio"}, 0.0, 0.99),
        ("revenue_growth", {"mean": -0.5, "stdDev": 2, "unit": "ratio"}, -0.99, None),
        ("expense_growth", {"mean": -0.5, "stdDev": 2, "unit": "ratio"}, -0.99, None),
        ("opex_variance", {"mean": -0.5, "stdDev": 2, "unit": "ratio"}, -1.0, None),
        ("cogs_pct", {"mean": 0.1, "stdDev": 2, "unit": "ratio"}, 0.0, None),
        ("tax_rate", {"mean": 0.1, "stdDev": 2, "unit": "ratio"}, 0.0, None),
        ("dpo", {"mean": 5, "stdDev": 20}, 0.0, None),
    ],
)
def test_semantic_clip_keeps_engine_inputs_meaningful(
    name: str, spec: dict[str, Any], low: float, high: float | None
) -> None:
    values = draw(one(name, spec))
    assert values.min() == low
    if high is not None:
        assert values.max() == high


# --- list form and validation ----------------------------------------------------------------


@pytest.mark.parametrize("key", ["id", "name", "key", "driver", "driverName"])
def test_list_drivers_take_their_name_from_any_alias(key: str) -> None:
    (spec,) = parse_drivers([{key: "revenue_growth", "mean": 8, "stdDev": 2}])
    assert spec.name == "revenue_growth"
    assert spec.target == "revenueGrowth" and spec.percent_scaled


@pytest.mark.parametrize(
    ("drivers", "scaled", "unit", "source"),
    [
        ([{"id": "churn_rate", "mean": 0.8, "stdDev": 0.2}], True, "percent", "list form"),
        ([{"id": "churn_rate", "mean": 2, "stdDev": 1}], True, "percent", "list form"),
        (
            [{"id": "churn", "dist": "uniform", "min": 0.2, "max": 0.9}],
            True,
            "percent",
            "list form",
        ),  # noqa: E501
        ([{"id": "churn_rate", "mean": 0.8, "sd": 0.2, "unit": "ratio"}], False, "ratio", "unit"),
        ([{"id": "tax_rate", "mean": 25, "sd": 1, "unit": "%"}], True, "percent", "unit"),
        ({"churn_rate": {"mean": 0.8, "stdDev": 0.2}}, False, "ratio", "centre"),
        ({"churn_rate": {"mean": 2, "stdDev": 1}}, True, "percent", "centre"),
        ({"churn_rate": {"mean": 0.8, "stdDev": 0.2, "unit": "pct"}}, True, "percent", "unit"),
        ([{"id": "ar_days", "mean": 0.8, "stdDev": 0.1}], False, "days", "engine input"),
        ([{"id": "cac", "mean": 0.8, "stdDev": 0.1}], False, "unused", "engine input"),
    ],
)
def test_list_form_rates_are_percent_unless_they_carry_a_unit_and_dict_form_keeps_its_rules(
    drivers: Any, scaled: bool, unit: str, source: str
) -> None:
    (spec,) = parse_drivers(drivers)
    assert (spec.percent_scaled, spec.unit, spec.unit_source) == (scaled, unit, source)


def test_the_web_uis_small_churn_is_simulated_as_percent_not_as_a_fraction() -> None:
    (spec,) = parse_drivers([{"id": "churn_rate", "mean": 0.8, "stdDev": 0.2, "min": 0}])
    assert draw(spec).mean() == pytest.approx(0.008, rel=0.05)


def test_unnamed_list_drivers_are_named_by_index_and_sorted() -> None:
    specs = parse_drivers([{"id": "zeta", "mean": 1, "sd": 0}, {"mean": 1, "sd": 0}])
    assert [s.name for s in specs] == ["driver_1", "zeta"]


@pytest.mark.parametrize(
    ("drivers", "message"),
    [
        ({"rev_x": {"dist": "weibull", "mean": 1}}, "driver 'rev_x': unknown distribution"),
        ({"rev_x": {"mean": 1, "stdDev": -0.1}}, "driver 'rev_x': standard deviation must be >= 0"),
        ({"rev_x": {"mean": 1}}, "driver 'rev_x': missing standard deviation"),
        ({"rev_x": {"stdDev": 1}}, "driver 'rev_x': missing mean"),
        ({"rev_x": {"mean": 1, "sd": 1, "min": 5, "max": 1}}, "driver 'rev_x': min is greater"),
        ({"rev_x": {"dist": "uniform", "min": 3, "max": 1}}, "driver 'rev_x': min is greater"),
        ({"rev_x": {"dist": "uniform", "min": 3}}, "driver 'rev_x': uniform needs min and max"),
        ({"rev_x": {"dist": "triangular", "min": 0, "max": 1, "mode": 2}}, "driver 'rev_x': mode"),
        ({"rev_x": {"dist": "beta", "alpha": 0, "beta": 1}}, "driver 'rev_x': alpha and beta"),
        ({"rev_x": {"dist": "beta", "alpha": 1, "beta": 1, "min": 2, "max": 1}}, "min is greater"),
        ({"rev_x": {"dist": "gamma", "shape": 0, "scale": 1}}, "driver 'rev_x': shape and scale"),
        ({"rev_x": {"dist": "gamma", "mean": 2, "sd": 0}}, "driver 'rev_x': gamma mean"),
        ({"rev_x": {"dist": "lognormal", "mean": -1, "sd": 1}}, "driver 'rev_x': lognormal mean"),
        ({"rev_x": {"dist": "lognormal", "sigma": 1}}, "driver 'rev_x': lognormal needs"),
        ({"rev_x": {"mean": "eight", "sd": 1}}, "driver 'rev_x': mean is not a finite number"),
        ({"rev_x": {"mean": float("nan"), "sd": 1}}, "driver 'rev_x': mean is not a finite"),
        ({"rev_x": {"mean": 1, "stdDev": float("inf")}}, "driver 'rev_x': stdDev is not a finite"),
        ({"rev_x": {"mean": 1, "sd": 1, "max": [1]}}, "driver 'rev_x': max is not a finite"),
        ({"rev_x": {"mean": True, "sd": 1}}, "driver 'rev_x': mean is not a finite"),
        ({"rev_x": {"dist": 3, "mean": 1, "sd": 1}}, "driver 'rev_x': distribution must be"),
        ({"rev_x": 0.5}, "driver 'rev_x': spec must be an object"),
        ({"churn": {"mean": 1, "sd": 1, "unit": "days"}}, "driver 'churn': unit must be"),
        ([{"id": "a", "mean": 1, "sd": 1}, {"id": "a", "mean": 1, "sd": 1}], "duplicate driver"),
        ([{"mean": 1, "sd": 1}, "oops"], "driver 'driver_1': spec must be an object"),
        ({"churn": {"mean": 1, "sd": 0}, "churnRate": {"mean": 1, "sd": 0}}, "both map to"),
        ("revenue_growth", "drivers must be an object or a list"),
    ],
)
def test_invalid_driver_specs_are_invalid_params_naming_the_driver(
    drivers: Any, message: str
) -> None:
    with pytest.raises(InvalidParams, match=message.replace("(", r"\(")) as caught:
        parse_drivers(drivers)
    assert caught.value.last_error().startswith("InvalidParams: ")
    assert caught.value.retryable is False


def test_long_driver_names_are_shortened_in_error_messages() -> None:
    with pytest.raises(InvalidParams) as caught:
        parse_drivers({"x" * 500: {"dist": "weibull"}})
    assert len(caught.value.message) < 120


def test_the_distribution_catalogue_describes_every_sampled_family() -> None:
    assert set(DISTRIBUTION_DEFINITIONS) == {
        "normal", "lognormal", "triangular", "uniform", "beta", "gamma",
    }  # fmt: skip
    assert all(
        {"name", "params", "description"} <= set(d) for d in DISTRIBUTION_DEFINITIONS.values()
    )
