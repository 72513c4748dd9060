"""Monte Carlo benchmark: the vectorised engine against a per-path Python loop over it.

Run from the repository root: ``.venv/bin/python bench/montecarlo.py``. It prints wall and CPU
seconds for 10 000 and 100 000 paths × 36 months with 6 drivers, the peak memory of a 100 000
path run (tracemalloc peak of traced allocations, and the growth of the process ``ru_maxrss``
high-water mark), and the same simulation done one path at a time, scaled to the same N, with
the ratio. Targets: 10k ≤ 0.5 s, 100k ≤ 5 s at ≤ 1 GiB, ≥ 100× the per-path loop.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.finance.distributions import parse_drivers  # noqa: E402
from app.finance.engine import ENGINE_VERSION, run_engine  # noqa: E402
from app.finance.inputs import HeadcountPlan, LedgerRow, ModelInputs, resolve_inputs  # noqa: E402
from app.finance.montecarlo import (  # noqa: E402
    ENGINE_ARRAYS_PER_PATH_MONTH,
    derive_seed,
    run_monte_carlo,
    simulate,
)

HORIZON_MONTHS = 36
CHUNK_RAM_BYTES = 1_500_000_000  # the MONTECARLO_CHUNK_RAM_BYTES default
LOOP_PATHS = 300
REPEATS = 3
MIB = 1024 * 1024
TARGET_10K_S = 0.5
TARGET_100K_S = 5.0
TARGET_PEAK_BYTES = 1024 * MIB
TARGET_RATIO = 100.0

DRIVERS: dict[str, Any] = {
    "revenue_growth": {"dist": "normal", "mean": 4, "stdDev": 2},
    "churn_rate": {"dist": "beta", "alpha": 2, "beta": 60},
    "cogs_percentage": {"dist": "triangular", "min": 20, "max": 35, "mode": 25},
    "opex_variance": {"dist": "normal", "mean": 0, "stdDev": 0.08},
    "dso": {"dist": "gamma", "mean": 35, "stdDev": 6},
    "tax_rate": {"dist": "uniform", "min": 0.15, "max": 0.3},
}


def model() -> ModelInputs:
    """A realistic model: ledger baseline, an actual and a manual month, hires, PPE and debt."""
    ledger = [
        LedgerRow(f"2023-{m:02d}", "Sales", 40_000 + 1_000 * m, 0, 20, None) for m in range(1, 13)
    ]
    ledger += [
        LedgerRow(f"2023-{m:02d}", "Payroll", 0, 35_000 + 500 * m, 5, None) for m in range(1, 13)
    ]
    ledger += [LedgerRow(f"2023-{m:02d}", "AWS", 0, 4_000, 3, None) for m in range(1, 13)]
    ledger.append(LedgerRow("2024-02", "Sales", 55_000, 0, 20, None))
    return ModelInputs(
        model_json={
            "assumptions": {
                "initialCash": 900_000,
                "arDays": 30,
                "apDays": 20,
                "capexPercentage": 0.02,
                "ppe": 60_000,
                "debt": 150_000,
                "nolBalance": 20_000,
                "hiringPlan": [{"month": 6, "salary": 110_000}],
            },
            "metadata": {"startMonth": "2024-01"},
            "manualInputs": {"2024-04": {"revenue": 60_000}},
        },
        model_version=1,
        model_created_month="2023-01",
        params_json={"horizon": HORIZON_MONTHS},
        run_type="baseline",
        ledger=ledger,
        ledger_currencies=["USD"],
        headcount_plans=[HeadcountPlan(2, 130_000, 1.3, "2024-03", None, 3)],
        drivers=[],
    )


def run(mi: ModelInputs, n: int) -> tuple[float, float]:
    """(wall seconds, thread CPU seconds) of one end-to-end Monte Carlo run."""
    started = time.perf_counter()
    result = run_monte_carlo(
        mi,
        {"drivers": DRIVERS, "randomSeed": 1},
        num_simulations=n,
        params_hash="bench",
        generated_at="2024-01-01T00:00:00Z",
        base_model_run_id="bench",
        chunk_ram_bytes=CHUNK_RAM_BYTES,
    )
    return time.perf_counter() - started, result.cpu_seconds


def maxrss_bytes() -> int:
    """The process high-water mark (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def main() -> None:
    mi = model()
    res = resolve_inputs(mi)
    specs = parse_drivers(DRIVERS)
    seed = derive_seed("bench", 1)
    print(
        f"Monte Carlo benchmark: H={HORIZON_MONTHS} months, {len(specs)} drivers, "
        f"{ENGINE_VERSION}, numpy {np.__version__}, {os.cpu_count()} CPUs"
    )
    run(mi, 1_000)  # warm-up (imports, allocator)

    rss_before = maxrss_bytes()
    run(mi, 100_000)
    rss_growth = maxrss_bytes() - rss_before
    tracemalloc.start()
    run(mi, 100_000)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    tracemalloc.start()
    one_block = {
        s.target: s.sample(np.random.default_rng(0), (10_000, HORIZON_MONTHS)) for s in specs
    }
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    run_engine(res, {str(k): v for k, v in one_block.items()}, paths=10_000)
    _, engine_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    arrays_per_path_month = (engine_peak - base) / (10_000 * HORIZON_MONTHS * 8)

    timings = {}
    for n in (10_000, 100_000):
        samples = [run(mi, n) for _ in range(REPEATS)]
        timings[n] = (
            statistics.median(s[0] for s in samples),
            statistics.median(s[1] for s in samples),
        )
    sim_cpu = []
    for _ in range(REPEATS):
        started = time.thread_time()
        simulate(res, specs, seed, 100_000, chunk_ram_bytes=CHUNK_RAM_BYTES)
        sim_cpu.append(time.thread_time() - started)
    sim_100k = min(sim_cpu)

    used = [s for s in specs if s.target is not None]
    loop_cpu = []
    for _ in range(REPEATS):
        started = time.thread_time()
        for path in range(LOOP_PATHS):
            rng = np.random.default_rng([seed, path])
            draws = {str(s.target): s.sample(rng, (1, HORIZON_MONTHS)) for s in used}
            run_engine(res, draws, paths=1)
        loop_cpu.append(time.thread_time() - started)
    per_path = min(loop_cpu) / LOOP_PATHS
    loop_100k = per_path * 100_000

    wall_10k, cpu_10k = timings[10_000]
    wall_100k, cpu_100k = timings[100_000]
    peak = max(traced_peak, rss_growth)
    print(
        f"10,000 paths:  {wall_10k:.3f} s wall, {cpu_10k:.3f} s thread CPU "
        f"(median of {REPEATS}, end to end)   target <= {TARGET_10K_S} s   "
        f"{verdict(wall_10k <= TARGET_10K_S)}"
    )
    print(
        f"100,000 paths: {wall_100k:.3f} s wall, {cpu_100k:.3f} s thread CPU "
        f"(median of {REPEATS}, end to end)   target <= {TARGET_100K_S} s   "
        f"{verdict(wall_100k <= TARGET_100K_S)}"
    )
    print(
        f"peak memory, 100,000 paths: tracemalloc peak {traced_peak / MIB:.1f} MiB (traced "
        f"Python + numpy allocations); ru_maxrss growth {rss_growth / MIB:.1f} MiB (process "
        f"high-water mark, first 100k run)   target <= 1 GiB   "
        f"{verdict(peak <= TARGET_PEAK_BYTES)}"
    )
    print(
        f"engine temporaries: one 10,000-path engine call peaks at "
        f"{(engine_peak - base) / MIB:.1f} MiB = {arrays_per_path_month:.1f} float64 per "
        f"path-month (ENGINE_ARRAYS_PER_PATH_MONTH = {ENGINE_ARRAYS_PER_PATH_MONTH})"
    )
    print(
        f"per-path loop: {LOOP_PATHS} paths one at a time (own rng, 6 draws of (1, 36), "
        f"run_engine) = {per_path * 1e3:.3f} ms/path thread CPU (best of {REPEATS}) -> "
        f"{loop_100k:.1f} s scaled to 100,000 paths"
    )
    ratio = loop_100k / sim_100k
    print(
        f"ratio, simulation only (draws + engine, thread CPU, best of {REPEATS}): "
        f"{loop_100k:.1f} s / {sim_100k:.3f} s = {ratio:.0f}x   target >= {TARGET_RATIO:.0f}x   "
        f"{verdict(ratio >= TARGET_RATIO)}"
    )
    rest = max(0.0, cpu_100k - sim_100k)  # resolution + statistics: the same for both ways
    print(
        f"ratio, end to end (both sides plus the {rest:.3f} s of resolution and statistics, "
        f"thread CPU): {loop_100k + rest:.1f} s / {cpu_100k:.3f} s = "
        f"{(loop_100k + rest) / cpu_100k:.0f}x"
    )


if __name__ == "__main__":
    main()
