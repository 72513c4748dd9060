"""Monte Carlo over the model-run engine (contract §5.2).

Paths run in fixed blocks of 10 000; block ``b`` draws from ``default_rng([seed, b])``, each
used driver in sorted-name order as a ``(block, H)`` array. One block is held at a time; the
engine takes it in slices of paths (``chunk_ram_bytes`` can only make them smaller). Paths are
independent in the engine, so results never depend on the slicing.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.errors import InvalidParams
from app.finance.distributions import DriverSpec, parse_drivers
from app.finance.engine import ENGINE_VERSION, run_engine_rows
from app.finance.inputs import LINES, ModelInputs, Resolved, resolve_inputs
from app.finance.months import is_month_key
from app.finance.output import assumptions_used_json, check_finite
from app.finance.simulation_results import Simulation, percentiles_document, sensitivity_rows

BLOCK_SIZE = 10_000  # fixed: part of the random stream's definition (§5.2.2)
MIN_SIMULATIONS = 1
MAX_SIMULATIONS = 100_000
# Float64 temporaries per path and month inside run_engine (cash-only mode): bench/montecarlo.py
# measures ≈ 12 with tracemalloc; doubled for headroom.
ENGINE_ARRAYS_PER_PATH_MONTH = 24
FLOAT_BYTES = 8
# Paths per engine call: measured fastest (bench/montecarlo.py), as the per-month vectors of
# 2 000 paths stay in the CPU cache; larger calls are slower, smaller ones pay more overhead.
ENGINE_SLICE_PATHS = 2_000
MIN_ENGINE_SLICE_PATHS = 500

OnBlock = Callable[[int, int], None]


@dataclass(frozen=True)
class MonteCarloResult:
    """What a Monte Carlo job persists.

    Attributes:
        percentiles: ``monte_carlo_jobs.percentiles_json`` (also the S3 document).
        sensitivity: ``monte_carlo_jobs.sensitivity_json``.
        cpu_seconds: CPU time of this thread for the whole computation.
    """

    percentiles: dict[str, Any]
    sensitivity: list[dict[str, Any]]
    cpu_seconds: float


def canon_seed(random_seed: object) -> str:
    """``canon(randomSeed)`` of §5.2.2: '' for None, integral numbers without a decimal point."""
    if random_seed is None:
        return ""
    if isinstance(random_seed, bool):
        raise InvalidParams("randomSeed must be a number or a string")
    if isinstance(random_seed, int):
        return str(random_seed)
    if isinstance(random_seed, float):
        if not math.isfinite(random_seed):
            raise InvalidParams("randomSeed must be finite")
        return str(int(random_seed)) if random_seed.is_integer() else repr(random_seed)
    if isinstance(random_seed, str):
        return random_seed
    raise InvalidParams("randomSeed must be a number or a string")


def derive_seed(params_hash: str | None, random_seed: object) -> int:
    """The first 8 bytes (big-endian) of ``sha256(f"{params_hash or ''}:{canon(randomSeed)}")``."""
    text = f"{params_hash or ''}:{canon_seed(random_seed)}"
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def _deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def merge_overrides(mi: ModelInputs, overrides: object) -> ModelInputs:
    """Apply the Monte Carlo ``overrides`` of §5.2.1 to a copy of the model-run inputs.

    Non-month keys are deep-merged into ``params_json.overrides`` (Monte Carlo values win);
    ``YYYY-MM`` keys act as ``manualInputs`` lines that take precedence over the model's.
    """
    if overrides is None:
        return mi
    if not isinstance(overrides, Mapping):
        raise InvalidParams("overrides must be an object")
    params = copy.deepcopy(dict(mi.params_json or {}))
    model_json = copy.deepcopy(dict(mi.model_json or {}))
    flat = {k: v for k, v in overrides.items() if not is_month_key(k)}
    current = params.get("overrides")
    params["overrides"] = _deep_merge(current if isinstance(current, Mapping) else {}, flat)
    manual_raw = model_json.get("manualInputs")
    manual = dict(manual_raw) if isinstance(manual_raw, Mapping) else {}
    for key, entry in overrides.items():
        if not is_month_key(key):
            continue
        if not isinstance(entry, Mapping):
            raise InvalidParams(f"overrides.{key} must be an object")
        existing = manual.get(key)
        merged = dict(existing) if isinstance(existing, Mapping) else {}
        merged.update({line: entry[line] for line in LINES if entry.get(line) is not None})
        manual[key] = merged
    model_json["manualInputs"] = manual
    return dataclasses.replace(mi, model_json=model_json, params_json=params)


def _check_num_simulations(num_simulations: object) -> int:
    if isinstance(num_simulations, bool) or not isinstance(num_simulations, int | np.integer):
        raise InvalidParams("numSimulations must be an integer")
    n = int(num_simulations)
    if not MIN_SIMULATIONS <= n <= MAX_SIMULATIONS:
        raise InvalidParams(f"numSimulations must be in {MIN_SIMULATIONS}..{MAX_SIMULATIONS}")
    return n


def engine_slice_paths(horizon: int, n_drivers: int, chunk_ram_bytes: int) -> int:
    """Paths per engine call so that one block's draws plus the engine fit ``chunk_ram_bytes``.

    At most ``ENGINE_SLICE_PATHS`` (the fastest size), at least ``MIN_ENGINE_SLICE_PATHS``.
    A block's draws are always held whole: they define the random stream. The result matrices
    (``N × H`` cash, ``N`` means per driver) are held in full for exact percentiles.
    """
    draw_bytes = BLOCK_SIZE * horizon * FLOAT_BYTES * max(1, n_drivers)
    engine_bytes_per_path = horizon * FLOAT_BYTES * ENGINE_ARRAYS_PER_PATH_MONTH
    fit = (chunk_ram_bytes - draw_bytes) // engine_bytes_per_path
    return int(min(ENGINE_SLICE_PATHS, max(MIN_ENGINE_SLICE_PATHS, fit)))


def simulate(
    res: Resolved,
    specs: list[DriverSpec],
    seed: int,
    num_simulations: int,
    *,
    chunk_ram_bytes: int,
    on_block: OnBlock | None = None,
) -> Simulation:
    """Run ``num_simulations`` paths through the engine with time-varying draws.

    Block ``b`` (paths ``b·10 000 …``) draws from ``default_rng([seed, b])``, each used driver in
    sorted-name order as a ``(block, H)`` array; ``on_block(b + 1, blocks)`` follows each block.
    """
    horizon = res.horizon
    used = sorted((s for s in specs if s.target is not None), key=lambda s: s.name)
    n_blocks = -(-num_simulations // BLOCK_SIZE)
    slice_paths = engine_slice_paths(horizon, len(used), chunk_ram_bytes)
    cash = np.empty((num_simulations, horizon))
    means = {s.name: np.empty(num_simulations) for s in used}
    for b in range(n_blocks):
        start = b * BLOCK_SIZE
        size = min(BLOCK_SIZE, num_simulations - start)
        rng = np.random.default_rng([seed, b])
        rows: dict[str, np.ndarray] = {}
        for spec in used:
            x = spec.sample(rng, (size, horizon))
            means[spec.name][start : start + size] = x.mean(axis=1)
            rows[str(spec.target)] = np.ascontiguousarray(x.T)  # month-major for the engine
            del x
        for lo in range(0, size, slice_paths):
            hi = min(size, lo + slice_paths)
            part = {target: r[:, lo:hi] for target, r in rows.items()}
            cash[start + lo : start + hi] = run_engine_rows(res, part, paths=hi - lo).cash
        del rows
        if on_block is not None:
            on_block(b + 1, n_blocks)
    return Simulation(cash=cash, driver_means=means)


def run_monte_carlo(
    mi: ModelInputs,
    mc_params: Mapping[str, Any] | None,
    *,
    num_simulations: int,
    params_hash: str | None,
    generated_at: str,
    base_model_run_id: str,
    chunk_ram_bytes: int,
    on_block: OnBlock | None = None,
    engine_version: str = ENGINE_VERSION,
) -> MonteCarloResult:
    """Validate, re-resolve the model inputs with the overrides, simulate and summarise.

    Args:
        mi: the model-run inputs of the linked run (§5.2.1).
        mc_params: the job parameters (``drivers``, ``overrides``, ``randomSeed``, …).
        num_simulations: ``monte_carlo_jobs.num_simulations`` (1..100 000).
        params_hash: ``monte_carlo_jobs.params_hash`` (part of the seed).
        generated_at: ISO timestamp from the database clock.
        base_model_run_id: the linked model run, echoed in ``meta``.
        chunk_ram_bytes: memory bound of one engine pass (never changes results).
        on_block: called as ``on_block(done_blocks, total_blocks)`` after each pass; it may
            raise (cancellation, lost lease) and the exception propagates.
        engine_version: echoed in ``meta.engineVersion``.

    Raises:
        InvalidParams: bad ``numSimulations``, drivers, overrides or seed.
        InsufficientData: the model inputs lack cash or a baseline.
        ComputeError: a non-finite value or a broken invariant.
    """
    started = time.thread_time()
    n = _check_num_simulations(num_simulations)
    params = dict(mc_params or {})
    specs = parse_drivers(params.get("drivers"))
    random_seed = params.get("randomSeed")
    seed = derive_seed(params_hash, random_seed)
    res = resolve_inputs(merge_overrides(mi, params.get("overrides")))
    sim = simulate(res, specs, seed, n, chunk_ram_bytes=chunk_ram_bytes, on_block=on_block)
    sensitivity = sensitivity_rows(sim)
    meta = {
        "numSimulations": n,
        "months": res.horizon,
        "generatedAt": generated_at,
        "startMonth": res.start_month,
        "paramsHash": params_hash,
        "randomSeed": copy.deepcopy(random_seed),
        "seed": f"{seed:016x}",
        "baseModelRunId": base_model_run_id,
        "drivers": [s.name for s in specs if s.target is not None],
        "unusedDrivers": [s.name for s in specs if s.target is None],
        "percentScaledDrivers": [s.name for s in specs if s.percent_scaled],
        # Every driver's unit as read, and why (issue 9): its own unit, the list form, its centre.
        "driverUnits": {s.name: {"unit": s.unit, "source": s.unit_source} for s in specs},
        "engineVersion": engine_version,
        "assumptionsUsed": assumptions_used_json(res.assumptions_used),
        "warnings": list(res.warnings),
    }
    document = percentiles_document(sim, res, specs, sensitivity, meta)
    check_finite(document, "Monte Carlo result")
    check_finite(sensitivity, "Monte Carlo sensitivity")
    return MonteCarloResult(
        percentiles=document,
        sensitivity=sensitivity,
        cpu_seconds=time.thread_time() - started,
    )
