"""Chart geometry for server-rendered SVG (pure: numbers in, shapes out; no JavaScript).

A fan chart of Monte Carlo percentiles (bands p5–p95, p10–p90, p25–p75 and the median) and the
overview's per-minute bars. Values that are missing or not finite make the chart unavailable:
it never draws a number that is not in the result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

BANDS = (("p5", "p95", "band-90"), ("p10", "p90", "band-80"), ("p25", "p75", "band-50"))
PERCENTILES = ("p5", "p10", "p25", "p50", "p75", "p90", "p95")


@dataclass(frozen=True)
class Tick:
    at: float  # pixel position along its axis
    label: str


@dataclass(frozen=True)
class FanChart:
    width: int
    height: int
    bands: list[tuple[str, str]]  # (css class, SVG polygon points)
    median: str  # SVG polyline points
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    zero_y: float | None  # where the zero line is, when zero is in range
    plot: tuple[float, float, float, float]  # left, top, right, bottom


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    css: str
    title: str


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def money(value: float) -> str:
    """Short axis labels: 1.2M, 350k, -40k."""
    size = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if size >= limit:
            return f"{value / limit:.1f}{suffix}".replace(".0", "")
    return f"{value:.0f}"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round values covering [low, high]."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    value = math.floor(low / step) * step
    ticks = [round(value, 10)]
    while ticks[-1] < high:  # the last tick is at or above the highest value
        value += step
        ticks.append(round(value, 10))
    return ticks


def fan_chart(
    months: Sequence[Any], series: Mapping[str, Any], *, width: int = 720, height: int = 300
) -> FanChart | None:
    """The fan chart of a simulation's percentile series, or None when the series are not all
    present, of the months' length and finite."""
    n = len(months)
    if n == 0 or not isinstance(series, Mapping):
        return None
    values: dict[str, list[float]] = {}
    for key in PERCENTILES:
        raw = series.get(key)
        if not isinstance(raw, Sequence) or isinstance(raw, str) or len(raw) != n:
            return None
        numbers = [_number(v) for v in raw]
        if any(v is None for v in numbers):
            return None
        values[key] = [v for v in numbers if v is not None]
    ticks = nice_ticks(min(values["p5"]), max(values["p95"]))
    low, high = ticks[0], ticks[-1]
    left, top, right, bottom = 64.0, 12.0, width - 12.0, height - 28.0

    def x(i: int) -> float:
        return left + (right - left) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return bottom - (bottom - top) * (v - low) / (high - low)

    def points(seq: Sequence[float], idx: Sequence[int]) -> str:
        return " ".join(f"{x(i):.1f},{y(seq[i]):.1f}" for i in idx)

    forward, backward = range(n), range(n - 1, -1, -1)
    bands = [
        (css, points(values[lo], forward) + " " + points(values[hi], backward))
        for lo, hi, css in BANDS
    ]
    every = max(1, math.ceil(n / 8))
    return FanChart(
        width=width,
        height=height,
        bands=bands,
        median=points(values["p50"], forward),
        y_ticks=[Tick(y(t), money(t)) for t in ticks],
        x_ticks=[Tick(x(i), str(months[i])) for i in range(0, n, every)],
        zero_y=y(0.0) if low < 0 < high else None,
        plot=(left, top, right, bottom),
    )


def minute_bars(
    minutes: Sequence[Mapping[str, Any]], *, width: int = 600, height: int = 120
) -> tuple[list[Bar], int]:
    """Bars per minute: completed up, dead-lettered stacked on top; returns bars and the max."""
    peak = max((int(m["completed"]) + int(m["dead_letter"]) for m in minutes), default=0)
    scale = (height - 4) / peak if peak else 0.0
    slot = width / max(1, len(minutes))
    bars = []
    for i, m in enumerate(minutes):
        done, dead = int(m["completed"]), int(m["dead_letter"])
        label = m["minute"].strftime("%H:%M")
        h_done, h_dead = done * scale, dead * scale
        bars.append(
            Bar(
                i * slot + 1, height - h_done, slot - 2, h_done, "done", f"{label} completed {done}"
            )
        )
        bars.append(
            Bar(
                i * slot + 1,
                height - h_done - h_dead,
                slot - 2,
                h_dead,
                "dead",
                f"{label} dead-lettered {dead}",
            )
        )
    return bars, peak
