"""Text tables of the operator CLI: aligned columns that fit a terminal width.

A table's one flexible column (an error, a worker id) takes the room the others leave and is cut
with an ellipsis; it is dropped when less than :data:`MIN_FLEX` columns remain.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

GAP = "  "
MIN_FLEX = 6
ELLIPSIS = "…"


@dataclass(frozen=True)
class Column:
    title: str
    cell: Callable[[dict[str, Any]], str]
    flex: bool = False


def stamp(value: Any, *, short: bool = False) -> str:
    """A moment in UTC: ``2024-06-01 12:34:56`` (``06-01 12:34:56`` when ``short``)."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).strftime("%m-%d %H:%M:%S" if short else "%Y-%m-%d %H:%M:%S")


def duration(seconds: float | None) -> str:
    """``4.2s``, ``3m07s``, ``2h05m``, ``3d04h``."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{max(seconds, 0.0):.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def clip(value: Any) -> str:
    """A cell's text on one line."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, dt.datetime):
        return stamp(value)
    return " ".join(str(value).split())


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + ELLIPSIS


def fit_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[Column], width: int, out: TextIO
) -> None:
    """Print ``rows`` as aligned ``columns`` within ``width`` characters."""
    if not rows:
        print("(none)", file=out)
        return
    cells = [[col.cell(row) for col in columns] for row in rows]
    widths = [max(len(col.title), *(len(r[i]) for r in cells)) for i, col in enumerate(columns)]
    keep = list(range(len(columns)))
    for i, col in enumerate(columns):
        if not col.flex:
            continue
        others = sum(w for j, w in enumerate(widths) if j != i) + len(GAP) * (len(columns) - 1)
        room = width - others
        if room < MIN_FLEX:
            keep.remove(i)
        else:
            widths[i] = min(widths[i], room)
    lines = [[col.title for col in columns], *cells]
    for line in lines:
        text = GAP.join(_cut(line[i], widths[i]).ljust(widths[i]) for i in keep)
        print(text.rstrip(), file=out)


def _getter(key: str) -> Callable[[dict[str, Any]], str]:
    return lambda row: clip(row[key])


def table(
    rows: Sequence[dict[str, Any]], out: TextIO, width: int = 120, flex: str | None = None
) -> None:
    """Every key of ``rows`` as a column; the ``flex`` one takes the room left."""
    if not rows:
        print("(none)", file=out)
        return
    fit_table(rows, [Column(k, _getter(k), flex=k == flex) for k in rows[0]], width, out)
