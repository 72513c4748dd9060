"""Pure finance compute: model-run forecast and statements, Monte Carlo (contract §5.1–5.2).

Nothing here touches the database, S3, the network or dramatiq. The names below load their
module on first use (PEP 562): the job types' declarations import the input records, and must not
pull SciPy into every process that only reads the registry (the CLI, the bridge).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.finance.engine import ENGINE_VERSION, EngineResult, run_engine
    from app.finance.inputs import (
        DriverInput,
        HeadcountPlan,
        LedgerRow,
        ModelInputs,
        Resolved,
        resolve_inputs,
    )
    from app.finance.montecarlo import MonteCarloResult, run_monte_carlo
    from app.finance.summary import ModelRunResult, build_model_run

_WHERE = {
    "ENGINE_VERSION": "engine",
    "EngineResult": "engine",
    "run_engine": "engine",
    "DriverInput": "inputs",
    "HeadcountPlan": "inputs",
    "LedgerRow": "inputs",
    "ModelInputs": "inputs",
    "Resolved": "inputs",
    "resolve_inputs": "inputs",
    "MonteCarloResult": "montecarlo",
    "run_monte_carlo": "montecarlo",
    "ModelRunResult": "summary",
    "build_model_run": "summary",
}

__all__ = [
    "ENGINE_VERSION",
    "DriverInput",
    "EngineResult",
    "HeadcountPlan",
    "LedgerRow",
    "ModelInputs",
    "ModelRunResult",
    "MonteCarloResult",
    "Resolved",
    "build_model_run",
    "resolve_inputs",
    "run_engine",
    "run_monte_carlo",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
