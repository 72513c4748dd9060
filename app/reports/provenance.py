"""The provenance package of a model run (CONTRACT-2 §7.7): a zip of four files, pure.

``provenance.json`` (the run's provenance entries), ``transactions.csv`` (the ledger rows they
cite), ``prompts.json`` (the AI prompts they cite) and ``metadata.json``. Every file is written
even when empty (a header only, ``[]``), so the package has one shape. Field names follow the
legacy package (compatibility); ``confidence_score`` 0 stays 0.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import uuid
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from app.reports.csv_export import cell

TRANSACTION_COLUMNS = ("id", "date", "amount", "currency", "category", "description", "source_id")
ENTRY_FIELDS = ("id", "cell_key", "source_type", "source_ref", "prompt_id", "confidence_score",
                "created_at")  # fmt: skip
PROMPT_FIELDS = ("id", "prompt_template", "rendered_prompt", "response_text", "provider",
                 "model_used", "tokens_used", "created_at")  # fmt: skip
PDF_WARNING = "PDF report not produced; JSON package only"


def iso_utc(value: Any) -> Any:
    """A timestamp as ISO 8601 in UTC (``…Z``); dates as ``YYYY-MM-DD``; anything else as is."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _number(value: Any) -> Any:
    """``numeric`` columns (Decimal) as JSON numbers; 0 stays 0, null stays null."""
    return float(value) if isinstance(value, Decimal) else value


def transaction_ids(entries: Iterable[Mapping[str, Any]]) -> list[str]:
    """The UUIDs cited by ``txn`` entries, first-seen order: ``source_ref`` as a list of ids, a
    list of ``{id}`` objects, or an object with a ``transaction_ids`` list."""
    found: dict[str, None] = {}
    for entry in entries:
        if entry.get("source_type") != "txn":
            continue
        ref = entry.get("source_ref")
        items: Sequence[Any] = ()
        if isinstance(ref, list):
            items = ref
        elif isinstance(ref, Mapping) and isinstance(ref.get("transaction_ids"), list):
            items = ref["transaction_ids"]
        for item in items:
            value = item.get("id") if isinstance(item, Mapping) else item
            if isinstance(value, str):
                try:
                    found[str(uuid.UUID(value.strip()))] = None
                except ValueError:
                    continue
    return list(found)


def prompt_ids(entries: Iterable[Mapping[str, Any]]) -> list[str]:
    """The prompt ids the entries cite, first-seen order."""
    return list(dict.fromkeys(str(e["prompt_id"]) for e in entries if e.get("prompt_id")))


def transactions_csv(rows: Iterable[Mapping[str, Any]]) -> bytes:
    """UTF-8, RFC 4180, ``\\r\\n``; amounts with 4 decimals; text cells guarded against formulas."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(TRANSACTION_COLUMNS)
    for row in rows:
        amount = row.get("amount")
        writer.writerow(
            [
                str(row.get("id") or ""),
                iso_utc(row.get("date")) or "",
                "" if amount is None else format(Decimal(str(amount)), ".4f"),
                cell(row.get("currency")),
                cell(row.get("category")),
                cell(row.get("description")),
                cell(row.get("source_id")),
            ]
        )
    return out.getvalue().encode("utf-8")


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def build_package(
    entries: Sequence[Mapping[str, Any]],
    transactions: Sequence[Mapping[str, Any]],
    prompts: Sequence[Mapping[str, Any]],
    metadata: Mapping[str, Any],
) -> bytes:
    """The zip (deflated) of the four files."""
    provenance = [
        {name: _number(iso_utc(entry.get(name))) for name in ENTRY_FIELDS} for entry in entries
    ]
    prompt_docs = [{name: _number(iso_utc(p.get(name))) for name in PROMPT_FIELDS} for p in prompts]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("provenance.json", _json(provenance))
        archive.writestr("transactions.csv", transactions_csv(transactions))
        archive.writestr("prompts.json", _json(prompt_docs))
        archive.writestr("metadata.json", _json(dict(metadata)))
    return out.getvalue()
