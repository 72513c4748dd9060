"""Helpers of the import tests."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from app.imports.csv_reader import CsvImport, ImportOptions, ImportStats, TransactionRow
from app.imports.sources import BytesSource

ORG = "7d0f0a52-1f7e-4c1e-9b1a-3b5f2c1d0e9f"
BATCH = "0b6c8f1e-2a3d-4e5f-8a9b-c0d1e2f3a4b5"
MAPPINGS = {
    "date": "Date",
    "amount": "Amount",
    "description": "Description",
    "category": "Category",
}


@dataclass(frozen=True)
class FileSource:
    """An upload read from a local file (for the large-file tests)."""

    path: Path
    kind: str = "file"

    def open(self) -> tuple[BinaryIO, int]:
        return open(self.path, "rb"), self.path.stat().st_size


def options(**params: Any) -> ImportOptions:
    params.setdefault("mappings", MAPPINGS)
    return ImportOptions.from_params(params, org_id=ORG, import_batch_id=BATCH)


def parse(data: bytes | str, **params: Any) -> tuple[list[TransactionRow], ImportStats]:
    """Parse a whole file; returns all rows and the final stats."""
    raw = data.encode() if isinstance(data, str) else data
    parser = CsvImport(BytesSource(raw), options(**params), batch_size=params.pop("_batch", 3))
    rows = [row for batch in parser.batches() for row in batch]
    return rows, parser.stats


def fingerprint(date: str, amount: float, description: str, category: str, k: int = 0) -> str:
    base = f"{ORG}|{date}|{amount}|{description}|{category}"
    if k:
        base += f"|{k}"
    return hashlib.sha256(base.encode()).hexdigest()


def csv_text(*rows: str, header: str = "Date,Amount,Description,Category") -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


def stream_of(data: bytes) -> BinaryIO:
    return io.BytesIO(data)
