"""Which column holds which field: the header mapped to positions, and each row's cells.

Works on a header and rows that are lists of strings, whatever the file format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring

from app.errors import InvalidFile
from app.imports.options import REQUIRED_FIELDS
from app.imports.rows import RowCells

MAX_HEADER_IN_ERROR_CHARS = 300
MAX_COLUMN_IN_ERROR_CHARS = 60


@dataclass(frozen=True)
class Columns:
    """Header positions of the mapped fields; an unmapped field points at ``blank``."""

    json_keys: list[str]  # '"name":' per column; duplicates suffixed #2, #3, …
    blank: int  # = number of header columns; rows get one extra "" cell at this index
    date: int
    amount: int
    description: int
    category: int
    currency: int
    type: int
    source_id: int

    def row_cells(self, cells: list[str]) -> RowCells:
        """The mapped cells of one row of trimmed cells; short rows padded, extra cells dropped."""
        blank = self.blank
        if len(cells) == blank:
            cells = [*cells, ""]
        else:
            cells = (cells + [""] * blank)[:blank] + [""]
        # The JSON object {header: cell}, built like json.dumps(ensure_ascii=False) would.
        pairs = zip(self.json_keys, cells[:blank], strict=True)
        payload = "{" + ",".join([key + encode_basestring(cell) for key, cell in pairs]) + "}"
        # Positional: a NamedTuple built by keyword costs about 1 µs more per row.
        return RowCells(
            cells[self.date],
            cells[self.amount],
            cells[self.description],
            cells[self.category],
            cells[self.currency],
            cells[self.type],
            cells[self.source_id],
            payload,
        )


def map_columns(header: list[str], mappings: Mapping[str, str], warnings: list[str]) -> Columns:
    """The positions of the mapped fields; a warning is added per optional column not found.

    Raises:
        InvalidFile: a required field is not mapped, or its column is not in the header.
    """
    mapped: dict[str, int] = {}
    for target, column in mappings.items():
        index = find_column(header, column)
        if index is not None:
            mapped[target] = index
        elif target in REQUIRED_FIELDS:
            raise InvalidFile(
                f"column '{column[:MAX_COLUMN_IN_ERROR_CHARS]}' mapped to required field "
                f"'{target}' is not in the CSV header: {_header_text(header)}"
            )
        else:
            warnings.append(
                f"column '{column[:MAX_COLUMN_IN_ERROR_CHARS]}' mapped to optional field "
                f"'{target}' is not in the CSV header; field ignored"
            )
    for target in REQUIRED_FIELDS:
        if target not in mappings:
            raise InvalidFile(
                f"required field '{target}' is not mapped; CSV header: {_header_text(header)}"
            )
    blank = len(header)
    return Columns(
        json_keys=[encode_basestring(name) + ":" for name in payload_keys(header)],
        blank=blank,
        date=mapped["date"],
        amount=mapped["amount"],
        description=mapped.get("description", blank),
        category=mapped.get("category", blank),
        currency=mapped.get("currency", blank),
        type=mapped.get("type", blank),
        source_id=mapped.get("sourceId", blank),
    )


def payload_keys(header: list[str]) -> list[str]:
    """Header names with duplicates suffixed ``#2``, ``#3``, … (unique even against clashes)."""
    seen: dict[str, int] = {}
    used: set[str] = set()
    keys: list[str] = []
    for name in header:
        count = seen.get(name, 0) + 1
        seen[name] = count
        key = name if count == 1 else f"{name}#{count}"
        while key in used:
            count += 1
            key = f"{name}#{count}"
        used.add(key)
        keys.append(key)
    return keys


def find_column(header: list[str], column: str) -> int | None:
    """Exact match first, then trimmed and case-insensitive."""
    for index, name in enumerate(header):
        if name == column:
            return index
    wanted = column.strip().casefold()
    for index, name in enumerate(header):
        if name.strip().casefold() == wanted:
            return index
    return None


def _header_text(header: list[str]) -> str:
    text = "[" + ", ".join(f"'{name.strip()[:40]}'" for name in header) + "]"
    if len(text) > MAX_HEADER_IN_ERROR_CHARS:
        text = text[: MAX_HEADER_IN_ERROR_CHARS - 2] + "…]"
    return text
