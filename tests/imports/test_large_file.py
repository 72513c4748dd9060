"""A 50 MB upload is parsed in bounded memory (a memory bound, not a timing)."""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

from app.imports.csv_reader import CsvImport
from tests.imports.helpers import FileSource, options

FILE_BYTES = 50 * 1024 * 1024
PEAK_LIMIT_BYTES = 100 * 1024 * 1024
HEADER = "Date,Amount,Description,Category,Type,Account,Reference,Balance,Memo,Channel\r\n"


def write_bank_export(path: Path, size_bytes: int) -> int:
    """A bank-export-like CSV of about ``size_bytes``; returns its number of data rows."""
    rnd = random.Random(20240115)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        out.write(HEADER)
        written = len(HEADER)
        while written < size_bytes:
            memo = (
                f"Card purchase at merchant {rnd.randint(1, 10**6)} terminal {rnd.randint(1, 999)} "
                f"auth {rnd.randint(1, 10**6)}; posted {rnd.randint(1, 28)} days later; "
            ) * 3
            line = (
                f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d},"
                f'"{rnd.uniform(-9000, 9000):,.2f}",Invoice {rnd.randint(1, 10**9)},'
                f"Cat{rnd.randint(1, 20)},{rnd.choice(['debit', 'credit'])},ACC-1,REF-{rows},"
                f'{rnd.uniform(0, 10**6):.2f},"{memo}",online\r\n'
            )
            out.write(line)
            written += len(line)
            rows += 1
    return rows


def test_a_50_mb_file_is_parsed_with_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    expected_rows = write_bank_export(path, FILE_BYTES)
    assert path.stat().st_size >= FILE_BYTES
    mappings = {
        "date": "Date",
        "amount": "Amount",
        "description": "Description",
        "category": "Category",
        "type": "Type",
    }
    parser = CsvImport(FileSource(path), options(mappings=mappings))
    batch_sizes = []

    tracemalloc.start()
    try:
        for batch in parser.batches():  # default dateFormat: two passes over the file
            batch_sizes.append(len(batch))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert sum(batch_sizes) == expected_rows
    assert max(batch_sizes) == 2000
    assert parser.stats.rows_total == expected_rows
    assert parser.stats.rows_skipped == 0
    assert peak < PEAK_LIMIT_BYTES, f"peak {peak / 2**20:.1f} MiB"
