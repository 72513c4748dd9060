"""Nested assumption groups are read one level deep (CONTRACT-2, decision on OPEN-1)."""

from __future__ import annotations

from app.finance.inputs import resolve_inputs
from app.finance.inputs.lookups import flatten_groups
from tests.finance.conftest import build_inputs

#: The shape ``auto_model`` writes (CONTRACT-2 §2.9), with every level given.
AUTO_MODEL_ASSUMPTIONS = {
    "revenue": {
        "baselineRevenue": 30_000,
        "mrr": 30_000,
        "revenueGrowth": 0.05,
        "churnRate": 0.02,
        "customerCount": 150,
    },
    "costs": {"baselineExpenses": 41_000, "expenseGrowth": 0.01, "taxRate": 0.3},
    "cash": {"initialCash": 250_000},
}


def test_every_key_auto_model_writes_in_a_group_is_read_by_the_run():
    used = resolve_inputs(build_inputs(assumptions=AUTO_MODEL_ASSUMPTIONS)).assumptions_used
    assert used["initialCash"] == {"value": 250_000, "source": "assumption"}
    assert used["baseRevenue"] == {"value": 30_000, "source": "assumption"}
    assert used["baseExpenses"] == {"value": 41_000, "source": "assumption"}
    assert used["revenueGrowth"] == {"value": 0.05, "source": "assumption"}
    assert used["expenseGrowth"] == {"value": 0.01, "source": "assumption"}
    assert used["churnRate"] == {"value": 0.02, "source": "assumption"}
    assert used["customerCount"] == {"value": 150, "source": "assumption"}
    assert used["taxRate"] == {"value": 0.3, "source": "assumption"}


def test_a_flat_key_wins_over_the_same_key_in_a_group():
    assumptions = {**AUTO_MODEL_ASSUMPTIONS, "revenueGrowth": 0.09}
    used = resolve_inputs(build_inputs(assumptions=assumptions)).assumptions_used
    assert used["revenueGrowth"]["value"] == 0.09


def test_a_key_two_groups_disagree_on_is_not_read_and_says_so():
    assumptions = {
        "initialCash": 1,
        "baselineRevenue": 10,
        "baselineExpenses": 5,
        "a": {"taxRate": 0.1},
        "b": {"taxRate": 0.4},
    }
    result = resolve_inputs(build_inputs(assumptions=assumptions))
    assert result.assumptions_used["taxRate"] == {"value": 0.25, "source": "default"}
    assert any("assumptions.taxRate is given by several" in w for w in result.warnings)


def test_flattening_goes_one_level_deep_and_keeps_groups_readable():
    flat, ambiguous = flatten_groups({"x": {"y": {"z": 1}, "w": 2}, "v": 3, "same": {"w": 2}})
    assert flat["w"] == 2 and flat["y"] == {"z": 1} and "z" not in flat
    assert flat["x"] == {"y": {"z": 1}, "w": 2} and flat["v"] == 3
    assert ambiguous == frozenset()  # equal values in two groups are not ambiguous


def test_a_hiring_plan_inside_a_group_adds_its_hires():
    base = {"initialCash": 1e6, "baselineRevenue": 10_000, "baselineExpenses": 8_000}
    plan = [{"month": 1, "salary": 120_000}]
    without = resolve_inputs(build_inputs(assumptions=base))
    nested = resolve_inputs(build_inputs(assumptions={**base, "costs": {"hiringPlan": plan}}))
    assert sum(without.hiring_cost) == 0
    assert sum(nested.hiring_cost) == 12 * 10_000
