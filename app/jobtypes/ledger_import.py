"""Bulk import of ledger rows into ``raw_transactions`` (contract §5.4.4), with exact counts.

Shared by the import job types (CSV today).

Each batch of parsed rows is streamed with ``COPY`` into a temporary staging table and moved
into ``raw_transactions`` by one ``INSERT … ON CONFLICT (org_id, source_id) DO NOTHING``, whose
row count is the number of rows actually inserted (P25a). Everything runs on the caller's
cursor, so the inserts share the transaction that completes the batch and the job: an attempt
that fails or is cancelled leaves nothing behind. No row content is ever logged (P25h).

Parsing is Python work and inserting is server work, so :func:`import_rows` overlaps them: a
helper thread parses and formats the next batch while the caller's thread waits on the
database for the current one (psycopg2 releases the GIL while it waits). At most
:data:`PREFETCH_BATCHES` formatted batches wait in between, so memory stays bounded.
"""

from __future__ import annotations

import io
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import psycopg2.extras

from app.db import execute
from app.imports.rows import TransactionRow
from app.sql import query

#: What the writer touches (start-up check of the import types).
LEDGER_IMPORT_TABLES = {
    "raw_transactions": (
        "org_id source_id date amount currency category description raw_payload imported_at "
        "import_batch_id is_duplicate"
    ).split(),
}
LEDGER_IMPORT_INDEXES = (("raw_transactions", ("org_id", "source_id")),)
INSERT_BATCH_ROWS = 5000  # rows per INSERT statement (contract §5.4.4: 1 000–5 000)
PREFETCH_BATCHES = 2
_HANDOFF_POLL_S = 0.1
#: COPY text format: these characters must be escaped inside a value.
_COPY_SPECIALS = ("\\", "\t", "\n", "\r")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    for special in _COPY_SPECIALS:
        if special in value:
            return value.translate(_COPY_ESCAPES)
    return value


def copy_lines(rows: Iterable[TransactionRow]) -> str:
    """The rows in COPY text format, columns as ``import_rows_copy`` lists them."""
    text = _copy_text
    return "".join(
        [
            f"{text(r.source_id)}\t{r.date.isoformat()}\t{r.amount}\t{text(r.currency)}\t"
            f"{text(r.category)}\t{text(r.description)}\t{text(r.raw_payload)}\n"
            for r in rows
        ]
    )


class ImportTarget(Protocol):
    """Where the rows of one import go."""

    @property
    def org_id(self) -> str: ...

    @property
    def import_batch_id(self) -> str | None: ...


class RowBatches(Protocol):
    """A parser of one upload (CSV, XLSX): its target and its valid rows, batch by batch."""

    @property
    def options(self) -> ImportTarget: ...

    def batches(self) -> Iterator[Sequence[TransactionRow]]: ...


@dataclass(frozen=True)
class ImportTotals:
    """What :func:`import_rows` did.

    Attributes:
        rows_inserted: rows actually inserted (the rest of the valid rows were duplicates).
        batches: INSERT statements run.
        write_s: wall time spent writing (COPY + INSERT), excluding waits for the parser.
    """

    rows_inserted: int
    batches: int
    write_s: float


@dataclass(frozen=True)
class CopyBatch:
    """One batch of rows, already in COPY text format."""

    rows: int
    text: str


class ImportWriter:
    """Inserts batches of one import on the caller's transaction and counts the inserted rows.

    Args:
        cur: a cursor inside the import transaction (the staging table lives until it ends).
        org_id: the org of every row.
        import_batch_id: ``data_import_batches.id`` of every row, or None.
    """

    def __init__(
        self, cur: psycopg2.extras.RealDictCursor, *, org_id: str, import_batch_id: str | None
    ) -> None:
        self._cur = cur
        self._params = {"org_id": org_id, "import_batch_id": import_batch_id}
        self._copy_sql = query("import_rows_copy")
        self.rows_inserted = 0
        self.batches = 0
        self.write_s = 0.0
        execute(cur, "import_rows_temp_create")

    def write(self, rows: Sequence[TransactionRow]) -> int:
        """Insert one batch; returns how many rows were new (the rest were duplicates)."""
        return self.write_copy(CopyBatch(len(rows), copy_lines(rows)))

    def write_copy(self, batch: CopyBatch) -> int:
        """Insert one formatted batch; returns how many rows were new."""
        if not batch.rows:
            return 0
        started = time.perf_counter()
        self._cur.copy_expert(self._copy_sql, io.StringIO(batch.text))
        execute(self._cur, "import_rows_flush", self._params)
        inserted = max(0, self._cur.rowcount)
        execute(self._cur, "import_rows_clear")
        self.write_s += time.perf_counter() - started
        self.rows_inserted += inserted
        self.batches += 1
        return inserted


_DONE = object()


def _prefetched(parser: RowBatches) -> Generator[CopyBatch, None, None]:
    """The parser's batches, parsed and formatted ahead on a helper thread.

    An exception of the parser (a bad file, or a cancel raised by its progress hook) is
    re-raised here, in the caller's thread. When the caller stops early, the helper stops at
    its next hand-off and closes the parser (and with it the upload stream).
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=PREFETCH_BATCHES)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=_HANDOFF_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        batches = parser.batches()
        try:
            for rows in batches:
                if not put(CopyBatch(len(rows), copy_lines(rows))):
                    return
            put(_DONE)
        except BaseException as exc:  # handed to the caller's thread, which re-raises it
            put(exc)
        finally:
            close = getattr(batches, "close", None)  # a generator: closes the upload stream
            if close is not None:
                close()

    helper = threading.Thread(target=produce, name="csv-import-parser", daemon=True)
    helper.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, CopyBatch)
            yield item
    finally:
        stop.set()
        helper.join()


def import_rows(
    cur: psycopg2.extras.RealDictCursor,
    parser: RowBatches,
    *,
    before_batch: Callable[[], None] | None = None,
) -> ImportTotals:
    """Parse and insert the whole upload on ``cur``; returns what was inserted.

    Args:
        cur: a cursor inside the import transaction.
        parser: the upload's parser (its ``stats`` are final when this returns). Its progress
            hook runs on the helper thread; whatever it raises stops the import here.
        before_batch: a safe point, called before each batch is written; it may raise to stop.
    """
    options = parser.options
    writer = ImportWriter(cur, org_id=options.org_id, import_batch_id=options.import_batch_id)
    batches = _prefetched(parser)
    try:
        for batch in batches:
            if before_batch is not None:
                before_batch()
            writer.write_copy(batch)
    finally:
        batches.close()
    return ImportTotals(writer.rows_inserted, writer.batches, writer.write_s)
