"""Output-time rounding and the finiteness check of everything written as JSON (§5.0)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from app.errors import ComputeError

MONEY_DECIMALS = 2
RATE_DECIMALS = 6
PROBABILITY_DECIMALS = 4


def rounded(value: float, decimals: int = MONEY_DECIMALS) -> float:
    """``value`` rounded half-even to ``decimals``; ``-0.0`` becomes ``0.0``.

    Raises:
        ComputeError: the value is NaN or infinite (it is never zero-filled).
    """
    number = float(value)
    if not math.isfinite(number):
        raise ComputeError("non-finite value in the output")
    out = round(number, decimals)
    return out if out != 0 else 0.0


def rounded_or_none(value: float | None, decimals: int = MONEY_DECIMALS) -> float | None:
    """:func:`rounded`, passing ``None`` through (a number that cannot be computed)."""
    return None if value is None else rounded(value, decimals)


# Resolved inputs that are money or counts (2 dp); the others are rates (6 dp).
LEVEL_INPUTS = frozenset(
    {
        "initialCash",
        "baseRevenue",
        "baseExpenses",
        "customerCount",
        "cac",
        "ltv",
        "marketing",
        "baseHeadcount",
        "ppe",
        "debt",
        "nolBalance",
    }
)


def assumptions_used_json(used: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``assumptionsUsed`` for output: levels to 2 dp, rates to 6 dp, sources as they are."""
    return {
        name: {
            "value": rounded_or_none(
                entry["value"], MONEY_DECIMALS if name in LEVEL_INPUTS else RATE_DECIMALS
            ),
            "source": entry["source"],
        }
        for name, entry in used.items()
    }


def check_finite(document: Any, where: str = "result") -> None:
    """Raise ComputeError if any float nested in ``document`` is NaN or infinite."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, float):
            if not math.isfinite(node):
                raise ComputeError(f"non-finite number in the {where}")
        elif isinstance(node, Mapping):
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
