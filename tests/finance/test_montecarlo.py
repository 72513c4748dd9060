"""Monte Carlo: closed form, degenerate equality, determinism, memory bound, output (§5.2)."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import integrate, stats

from app.errors import InsufficientData, InvalidParams, JobCancelled
from app.finance.distributions import parse_drivers
from app.finance.inputs import ModelInputs, resolve_inputs
from app.finance.montecarlo import (
    MonteCarloResult,
    canon_seed,
    derive_seed,
    engine_slice_paths,
    merge_overrides,
    run_monte_carlo,
    simulate,
)
from app.finance.summary import build_model_run
from tests.finance.conftest import build_inputs, ledger_row, rich_inputs

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CHUNK_RAM_BYTES = 1_500_000_000
GENERATED_AT = "2024-06-01T12:00:00+00:00"
PERCENTILE_KEYS = ("p5", "p10", "p25", "p50", "p75", "p90", "p95")


def mc(
    mi: ModelInputs,
    params: dict[str, Any],
    n: int,
    *,
    params_hash: str | None = "hash-1",
    chunk_ram_bytes: int = DEFAULT_CHUNK_RAM_BYTES,
    on_block: Any = None,
) -> MonteCarloResult:
    return run_monte_carlo(
        mi,
        params,
        num_simulations=n,
        params_hash=params_hash,
        generated_at=GENERATED_AT,
        base_model_run_id="run-1",
        chunk_ram_bytes=chunk_ram_bytes,
        on_block=on_block,
    )


def normal_cash_flow_case(
    initial_cash: float, revenue: float, expenses: float, sd_ratio: float, horizon: int
) -> tuple[ModelInputs, dict[str, Any]]:
    """A model whose monthly net cash flow is exactly Normal(revenue − expenses, expenses·sd).

    Zero growth, cogs 0 and tax 0; no AR/AP days, PPE, capex or debt, so depreciation, interest,
    working capital and financing are all 0 and ``netCashFlow = ebitda = R − E·(1 + x)``. The
    only driver is ``opex_variance`` x ~ N(0, sd_ratio), drawn afresh each month. Its semantic
    clip at −1 lies 1/sd_ratio standard deviations away (10σ here), which no draw reaches.
    """
    mi = build_inputs(
        assumptions={
            "initialCash": initial_cash,
            "baselineRevenue": revenue,
            "baselineExpenses": expenses,
            "cogsPercentage": 0,
            "taxRate": 0,
        },
        params={"horizon": horizon},
    )
    drivers = {"opex_variance": {"dist": "normal", "mean": 0, "stdDev": sd_ratio, "unit": "ratio"}}
    return mi, {"drivers": drivers, "randomSeed": 2024}


def test_percentiles_match_the_closed_form_of_a_gaussian_random_walk() -> None:
    """Cash at month m ~ Normal(c0 + m·μ, σ·√m); with N = 100 000 paths each simulated quantile is
    within 1 % of the analytic one.

    μ = 50 000 − 60 000 = −10 000 and σ = 60 000 · 0.1 = 6 000. The sampling standard error of a
    p-quantile is σ_m·√(p(1−p)/N)/φ(z_p), ≈ 0.0067·σ_m at p5/p95 and 0.004·σ_m at p50: at month 36
    that is ≈ 240 against quantiles ≥ 580 000, so 1 % is > 20 standard errors. The test also holds
    every quantile to 5 standard errors in absolute terms.
    """
    c0, mu, sigma, n = 1_000_000.0, -10_000.0, 6_000.0, 100_000
    mi, params = normal_cash_flow_case(c0, 50_000, 60_000, 0.1, 36)
    doc = mc(mi, params, n).percentiles
    for m in (1, 6, 12, 24, 36):
        key = doc["percentiles_table"]["months"][m - 1]
        sigma_m = sigma * math.sqrt(m)
        for name in PERCENTILE_KEYS:
            p = int(name[1:]) / 100
            z = stats.norm.ppf(p)
            analytic = c0 + m * mu + sigma_m * z
            standard_error = sigma_m * math.sqrt(p * (1 - p) / n) / stats.norm.pdf(z)
            simulated = doc["monthly"][key][name]
            assert abs(simulated - analytic) <= 0.01 * abs(analytic), (m, name)
            assert abs(simulated - analytic) <= 5 * standard_error, (m, name)


def test_survival_probability_matches_its_analytic_value() -> None:
    """With c0 = σ = 5 000 and μ = 0, P(cash_1 > 0) = Φ(1) and
    P(cash_1 > 0, cash_2 > 0) = ∫₀^∞ φ((s − c0)/σ)/σ · Φ(s/σ) ds (first passage, by quadrature).

    The standard error of a proportion at N = 100 000 is √(p(1−p)/N) ≤ 0.0016; the tolerance is
    5 standard errors.
    """
    c0, sigma, n = 5_000.0, 5_000.0, 100_000
    mi, params = normal_cash_flow_case(c0, 50_000, 50_000, 0.1, 3)
    survival = mc(mi, params, n).percentiles["survival_probability"]
    p1 = stats.norm.cdf(c0 / sigma)
    p2, _ = integrate.quad(
        lambda s: stats.norm.pdf((s - c0) / sigma) / sigma * stats.norm.cdf(s / sigma), 0, np.inf
    )
    for month, analytic in ((0, p1), (1, p2)):
        row = survival["byMonth"][month]
        simulated = row["simulationsSurvived"] / n
        assert abs(simulated - analytic) <= 5 * math.sqrt(analytic * (1 - analytic) / n), month
        assert row["probability"] == round(simulated, 4)
        assert row["simulationsSurvived"] + row["simulationsFailed"] == n
    assert (
        survival["byMonth"][1]["simulationsSurvived"]
        <= survival["byMonth"][0]["simulationsSurvived"]
    )


DEGENERATE_DRIVERS: dict[str, Any] = {
    "revenue_growth": {"dist": "normal", "mean": 3, "stdDev": 0},  # 3 % → 0.03
    "churn": {"dist": "constant", "value": 0.02},
    "cogs_pct": {"dist": "uniform", "min": 25, "max": 25},  # 25 % → 0.25
    "expenseGrowth": {"dist": "triangular", "min": 0.01, "max": 0.01},
    "tax_rate": {"dist": "fixed", "value": 0.25},
    "dso": {"dist": "normal", "mean": 30, "sd": 0},
    "dpo": {"dist": "beta", "alpha": 2, "beta": 5, "min": 20, "max": 20},
    "capex_percentage": {"dist": "lognormal", "mu": math.log(0.02), "sigma": 0},
    "opex_variance": {"dist": "constant", "value": 0},
    "cac": {"mean": 900, "sd": 50},
}


@pytest.mark.parametrize("drivers", [DEGENERATE_DRIVERS, {}], ids=["degenerate", "no-drivers"])
def test_degenerate_drivers_give_percentiles_equal_to_the_model_run_cash(
    drivers: dict[str, Any],
) -> None:
    mi = rich_inputs()
    summary = build_model_run(
        mi, model_run_id="r", model_id="m", org_id="o", generated_at=GENERATED_AT
    ).summary
    cash = [month["cashBalance"] for month in summary["monthly"].values()]
    doc = mc(mi, {"drivers": drivers, "randomSeed": 1}, 2_500).percentiles
    assert doc["percentiles_table"]["months"] == list(summary["monthly"])
    for name in PERCENTILE_KEYS:
        assert np.max(np.abs(np.array(doc["series"][name]) - cash)) <= 0.01, name


def determinism_payload() -> str:
    """One Monte Carlo result serialised with sorted keys (run in separate processes)."""
    drivers = {
        "revenue_growth": {"mean": 4, "stdDev": 3},
        "churn": {"dist": "beta", "alpha": 2, "beta": 40},
        "cogsPct": {"dist": "triangular", "min": 20, "max": 35, "mode": 25},
        "opex_variance": {"dist": "uniform", "min": -0.1, "max": 0.15},
        "dso": {"dist": "gamma", "mean": 35, "stdDev": 8},
        "tax_rate": {"dist": "lognormal", "mean": 0.22, "stdDev": 0.03},
    }
    result = mc(rich_inputs(), {"drivers": drivers, "randomSeed": 77}, 12_000)
    return json.dumps(
        {"percentiles": result.percentiles, "sensitivity": result.sensitivity}, sort_keys=True
    )


def test_results_are_byte_identical_across_separate_processes() -> None:
    code = (
        "import sys; from tests.finance.test_montecarlo import determinism_payload; "
        "sys.stdout.write(determinism_payload())"
    )
    outputs = []
    for hash_seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            timeout=120,
            check=True,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].decode() == determinism_payload()
    assert len(outputs[0]) > 10_000


def test_results_do_not_depend_on_chunk_ram_bytes() -> None:
    assert [engine_slice_paths(24, 3, c) for c in (1, 11_450_000, DEFAULT_CHUNK_RAM_BYTES)] == [
        500,
        1_234,
        2_000,
    ]
    mi = rich_inputs()
    params = {
        "drivers": {
            "revenue_growth": {"mean": 2, "stdDev": 4},
            "opex_variance": {"mean": 0, "stdDev": 0.2},
            "tax_rate": {"dist": "uniform", "min": 0.1, "max": 0.3},
        },
        "randomSeed": "abc",
    }
    dumps = [
        json.dumps(
            {"p": r.percentiles, "s": r.sensitivity},
            sort_keys=True,
        )
        for r in (
            mc(mi, params, 25_000, chunk_ram_bytes=chunk)
            # engine slices of 500 (the floor), 1 234 (not a divisor of the block) and 2 000
            for chunk in (1, 11_450_000, DEFAULT_CHUNK_RAM_BYTES)
        )
    ]
    assert dumps[0] == dumps[1] == dumps[2]


def test_on_block_reports_progress_after_each_block_and_its_exceptions_propagate() -> None:
    mi, params = normal_cash_flow_case(1_000, 10, 10, 0.1, 3)
    calls: list[tuple[int, int]] = []
    mc(mi, params, 25_000, on_block=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]

    def cancel(done: int, total: int) -> None:
        calls.append((done, total))
        raise JobCancelled()

    calls.clear()
    with pytest.raises(JobCancelled):
        mc(mi, params, 25_000, on_block=cancel)
    assert calls == [(1, 3)]


# --- seed --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "canon"),
    [(None, ""), (42, "42"), (42.0, "42"), (-3, "-3"), (1.5, "1.5"), ("abc", "abc"), ("", "")],
)
def test_random_seed_is_canonicalised_as_in_the_contract(seed: object, canon: str) -> None:
    assert canon_seed(seed) == canon


def test_the_seed_is_the_first_eight_bytes_of_sha256_big_endian() -> None:
    digest = hashlib.sha256(b"hash-1:42").digest()
    assert derive_seed("hash-1", 42) == int.from_bytes(digest[:8], "big")
    assert derive_seed(None, None) == int.from_bytes(hashlib.sha256(b":").digest()[:8], "big")


def test_equal_canonical_seeds_give_equal_results_and_other_seeds_differ() -> None:
    mi, params = normal_cash_flow_case(10_000, 10_000, 10_000, 0.1, 3)
    a = mc(mi, {**params, "randomSeed": 42}, 500).percentiles
    b = mc(mi, {**params, "randomSeed": 42.0}, 500).percentiles
    c = mc(mi, {**params, "randomSeed": 43}, 500).percentiles
    d = mc(mi, {**params, "randomSeed": 42}, 500, params_hash="other").percentiles
    assert a["series"] == b["series"]
    assert a["meta"]["seed"] == f"{derive_seed('hash-1', 42):016x}"
    assert a["series"] != c["series"] and a["series"] != d["series"]


@pytest.mark.parametrize("seed", [True, [1], {"a": 1}])
def test_a_random_seed_that_is_not_a_number_or_string_is_invalid(seed: object) -> None:
    mi, params = normal_cash_flow_case(1_000, 10, 10, 0.1, 3)
    with pytest.raises(InvalidParams, match="randomSeed"):
        mc(mi, {**params, "randomSeed": seed}, 100)


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, -1, 100_001, 1.5, True, "100", None])
def test_num_simulations_outside_1_to_100000_is_invalid(n: Any) -> None:
    mi, params = normal_cash_flow_case(1_000, 10, 10, 0.1, 3)
    with pytest.raises(InvalidParams, match="numSimulations"):
        mc(mi, params, n)


@pytest.mark.parametrize(
    ("drivers", "message"),
    [
        ({"revenue_growth": {"dist": "pareto", "mean": 1}}, "driver 'revenue_growth': unknown"),
        ([{"id": "churn", "mean": 2, "stdDev": -1}], "driver 'churn': standard deviation"),
        ({"cogs_pct": {"mean": 1, "sd": 1, "min": 2, "max": 1}}, "driver 'cogs_pct': min is"),
        ({"tax_rate": {"mean": "high", "sd": 1}}, "driver 'tax_rate': mean is not a finite"),
        ({"dso": {"mean": float("inf"), "sd": 1}}, "driver 'dso': mean is not a finite"),
    ],
)
def test_bad_drivers_fail_the_job_with_invalid_params_naming_the_driver(
    drivers: Any, message: str
) -> None:
    mi, _ = normal_cash_flow_case(1_000, 10, 10, 0.1, 3)
    with pytest.raises(InvalidParams, match=message):
        mc(mi, {"drivers": drivers}, 100)


def test_missing_model_inputs_are_the_same_permanent_error_as_a_model_run() -> None:
    mi = build_inputs(assumptions={"baselineRevenue": 1, "baselineExpenses": 1})
    with pytest.raises(InsufficientData, match="no initial cash"):
        mc(mi, {}, 100)


def test_overrides_that_are_not_an_object_are_invalid() -> None:
    with pytest.raises(InvalidParams, match="overrides"):
        mc(rich_inputs(), {"overrides": [1, 2]}, 100)
    with pytest.raises(InvalidParams, match="overrides.2024-03"):
        mc(rich_inputs(), {"overrides": {"2024-03": 5}}, 100)


# --- overrides and unperturbed months ----------------------------------------------------------


def test_overrides_deep_merge_and_month_keys_act_as_manual_inputs_with_precedence() -> None:
    mi = rich_inputs(
        params={"horizon": 24, "overrides": {"costs": {"growth": 0.01, "marketing": 500}}}
    )
    overrides = {
        "costs": {"growth": 0.02},
        "taxRate": 0.3,
        "2024-05": {"revenue": 90_000},
        "2024-09": {"cogs": 1.0, "ignored": 3},
    }
    res = resolve_inputs(merge_overrides(mi, overrides))
    assert (res.expense_growth, res.marketing, res.tax_rate) == (0.02, 500, 0.3)
    may, september = res.months.index("2024-05"), res.months.index("2024-09")
    assert res.sources[may] == res.sources[september] == "manual"
    assert (res.given_revenue[may], res.given_opex[may]) == (90_000, 20_000)
    assert res.given_cogs[september] == 1.0 and not res.given_mask_revenue[september]
    assert mi.model_json["manualInputs"]["2024-05"]["revenue"] == 80_000
    assert mi.params_json["overrides"]["costs"]["growth"] == 0.01


def test_manual_and_actual_months_are_not_perturbed() -> None:
    mi = build_inputs(
        assumptions={"initialCash": 500_000, "baselineRevenue": 40_000, "baselineExpenses": 45_000,
                     "taxRate": 0, "cogsPercentage": 0.2},
        ledger=[ledger_row("2023-12", "Sales", inflow=40_000), ledger_row("2024-03", "Sales",
                                                                        inflow=41_000)],
        manual={"2024-05": {"revenue": 50_000}, "2024-06": {"revenue": 1, "cogs": 2, "opex": 3}},
    )  # fmt: skip
    res = resolve_inputs(mi)
    specs = parse_drivers(
        {
            "revenue_growth": {"mean": 0.02, "stdDev": 0.05},
            "opex_variance": {"mean": 0, "stdDev": 0.2},
            "cogs_pct": {"dist": "uniform", "min": 0.1, "max": 0.3},
        }
    )
    sim = simulate(res, specs, seed=5, num_simulations=3_000, chunk_ram_bytes=10**9)
    flows = np.diff(np.concatenate([np.full((3_000, 1), res.initial_cash), sim.cash], axis=1))
    spread = np.ptp(flows, axis=0)
    for i, source in enumerate(res.sources):
        if source == "forecast":
            assert spread[i] > 1_000, res.months[i]
        else:
            assert spread[i] < 1e-6, res.months[i]
    assert res.sources[2] == "actual" and res.sources[4] == res.sources[5] == "manual"


# --- output document ---------------------------------------------------------------------------


def test_percentiles_json_has_every_contract_key_and_consistent_shapes() -> None:
    drivers = [
        {"id": "revenue_growth", "mean": 8, "stdDev": 2, "min": 0, "max": 20,
         "distribution": "normal"},
        {"id": "opexVariance", "mean": 0, "stdDev": 0.1, "distribution": "normal",
         "unit": "ratio"},
        {"id": "cac", "mean": 100, "stdDev": 10, "distribution": "normal"},
        {"mean": 1, "stdDev": 0},
    ]  # fmt: skip
    mi = rich_inputs(params={"horizon": 12})
    result = mc(mi, {"drivers": drivers, "randomSeed": 9, "mode": "full"}, 4_000)
    doc = result.percentiles
    assert set(doc) == {
        "meta", "monthly", "series", "percentiles_table", "survival_probability",
        "confidence_intervals", "tornado_sensitivity", "distribution_definitions",
    }  # fmt: skip
    meta = doc["meta"]
    assert {
        "numSimulations", "months", "generatedAt", "startMonth", "paramsHash", "randomSeed",
        "seed", "baseModelRunId", "drivers", "unusedDrivers", "percentScaledDrivers",
        "engineVersion",
    } <= set(meta)  # fmt: skip
    assert (meta["numSimulations"], meta["months"], meta["startMonth"]) == (4_000, 12, "2024-01")
    assert meta["drivers"] == ["opexVariance", "revenue_growth"]
    assert meta["unusedDrivers"] == ["cac", "driver_3"]
    # List form (web UI): rates are percent unless they carry a unit, whatever their centre.
    assert meta["percentScaledDrivers"] == ["revenue_growth"]
    assert meta["driverUnits"] == {
        "cac": {"unit": "unused", "source": "engine input"},
        "driver_3": {"unit": "unused", "source": "engine input"},
        "opexVariance": {"unit": "ratio", "source": "unit"},
        "revenue_growth": {"unit": "percent", "source": "list form"},
    }
    assert (meta["randomSeed"], meta["paramsHash"], meta["baseModelRunId"]) == (
        9,
        "hash-1",
        "run-1",
    )
    assert len(meta["seed"]) == 16

    months = doc["percentiles_table"]["months"]
    assert months == list(doc["monthly"]) and len(months) == 12 and months[0] == "2024-01"
    for name in PERCENTILE_KEYS:
        assert doc["series"][name] == doc["percentiles_table"][name]
        assert [doc["monthly"][k][name] for k in months] == doc["series"][name]
    for i in range(12):
        values = [doc["series"][name][i] for name in PERCENTILE_KEYS]
        assert values == sorted(values)
    for name in ("ci_80", "ci_90", "ci_95"):
        ci = doc["confidence_intervals"][name]
        assert all(
            abs(w - (u - lo)) <= 0.011
            for lo, u, w in zip(ci["lower"], ci["upper"], ci["width"], strict=True)
        )
    assert doc["confidence_intervals"]["ci_80"]["lower"] == doc["series"]["p10"]
    assert doc["confidence_intervals"]["ci_90"]["upper"] == doc["series"]["p95"]

    tornado = doc["tornado_sensitivity"]
    assert list(tornado) == [row["driver"] for row in result.sensitivity]
    assert set(tornado) == {"opexVariance", "revenue_growth"}
    absolute = [row["abs_correlation"] for row in result.sensitivity]
    assert absolute == sorted(absolute, reverse=True)
    by_driver = {row["driver"]: row for row in result.sensitivity}
    assert by_driver["revenue_growth"]["correlation"] > 0 > by_driver["opexVariance"]["correlation"]
    assert all(0.0 <= row["p_value"] <= 1.0 for row in result.sensitivity)
    assert set(doc["distribution_definitions"]) == {
        "normal", "lognormal", "triangular", "uniform", "beta", "gamma",
    }  # fmt: skip
    json.dumps(doc, allow_nan=False)

    survival = doc["survival_probability"]
    assert len(survival["byMonth"]) == 12
    assert set(survival["runwayThresholds"]) == {"3_months", "6_months", "9_months", "12_months"}
    assert survival["runwayThresholds"]["6_months"]["thresholdMonths"] == 6


def test_sensitivity_matches_scipy_pearson_and_average_rank_spearman() -> None:
    mi = rich_inputs(params={"horizon": 12})
    drivers = {
        "revenue_growth": {"dist": "triangular", "min": -2, "max": 6, "mode": 2},
        "churn": {"dist": "uniform", "min": 0.0, "max": 0.05},
        "dso": {"dist": "normal", "mean": 30, "sd": 0},
    }
    result = mc(mi, {"drivers": drivers, "randomSeed": 3}, 3_000, params_hash="h")
    res = resolve_inputs(mi)
    sim = simulate(res, parse_drivers(drivers), derive_seed("h", 3), 3_000, chunk_ram_bytes=10**9)
    y = sim.cash[:, -1]
    rows = {row["driver"]: row for row in result.sensitivity}
    for name in ("revenue_growth", "churn"):
        pearson = stats.pearsonr(sim.driver_means[name], y)
        spearman = stats.spearmanr(sim.driver_means[name], y)
        assert rows[name]["correlation"] == pytest.approx(pearson.statistic, abs=5e-5)
        assert rows[name]["spearman_correlation"] == pytest.approx(spearman.statistic, abs=5e-5)
        assert rows[name]["p_value"] == pytest.approx(pearson.pvalue, rel=1e-6, abs=1e-300)
    assert rows["dso"] == {
        "driver": "dso", "correlation": 0.0, "spearman_correlation": 0.0,
        "abs_correlation": 0.0, "p_value": 1.0,
    }  # fmt: skip


def test_survival_counts_first_passage_and_months_to_failure() -> None:
    # Deterministic: −20 000 a month from 100 000 → cash ≤ 0 first in month 5 on every path.
    mi = build_inputs(
        assumptions={"initialCash": 100_000, "baselineRevenue": 10_000, "baselineExpenses": 30_000,
                     "cogsPercentage": 0, "taxRate": 0},
    )  # fmt: skip
    survival = mc(mi, {}, 200).percentiles["survival_probability"]
    assert [row["probability"] for row in survival["byMonth"]] == [1.0] * 4 + [0.0] * 8
    assert survival["runwayThresholds"]["3_months"]["probability"] == 1.0
    assert survival["runwayThresholds"]["6_months"]["simulationsFailed"] == 200
    overall = survival["overall"]
    assert overall["probabilitySurvivingFullPeriod"] == 0.0
    assert overall["averageMonthsToFailure"] == overall["medianMonthsToFailure"] == 5
    assert (overall["totalSimulations"], overall["simulationsFailed"]) == (200, 200)
    assert survival["summary"] == {
        "keyMessage": "Probability of survival: 0.0% chance of surviving the full 12-month "
        "forecast period",
        "riskLevel": "high",
    }


def test_when_no_path_fails_months_to_failure_are_the_horizon_and_risk_is_low() -> None:
    mi, params = normal_cash_flow_case(10_000_000, 50_000, 50_000, 0.1, 9)
    overall = mc(mi, params, 1_000).percentiles["survival_probability"]["overall"]
    assert overall["probabilitySurvivingFullPeriod"] == 1.0
    assert overall["averageMonthsToFailure"] == overall["medianMonthsToFailure"] == 9
    summary = mc(mi, params, 1_000).percentiles["survival_probability"]["summary"]
    assert summary["riskLevel"] == "low"
    assert "100.0% chance of surviving the full 9-month" in summary["keyMessage"]
