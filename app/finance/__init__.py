"""Pure finance compute: model-run forecast and statements, Monte Carlo (contract §5.1–5.2).

Nothing here touches the database, S3, the network or dramatiq.
"""

from __future__ import annotations

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
