"""The id of each imported row (contract §5.4.4): its own ``sourceId``, else its fingerprint.

The fingerprint is the sha256 of ``org|date|amount|description|category``; the k-th repeat of
the same fingerprint in one file (k ≥ 1) hashes ``…|k`` instead, so identical rows of one file
all import while a re-import of the same file yields the same ids (and inserts nothing new).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from app.imports.occurrences import OccurrenceCounter
from app.imports.rows import ParsedRow, TransactionRow


class SourceIds:
    """Gives the valid rows of one file their ids, batch after batch, in file order.

    Args:
        org_id: the org of every row (part of the fingerprint).
        import_batch_id: ``data_import_batches.id`` or None.
    """

    def __init__(self, org_id: str, import_batch_id: str | None) -> None:
        self.org_id = org_id
        self.import_batch_id = import_batch_id
        self._counter = OccurrenceCounter()

    def rows(self, parsed: Sequence[ParsedRow]) -> list[TransactionRow]:
        """The next parsed rows of the file as ``raw_transactions`` rows."""
        org_id, batch_id = self.org_id, self.import_batch_id
        fingerprints: list[tuple[str, bytes]] = []
        for day, amount, _, category, description, _, explicit_id, _ in parsed:
            if not explicit_id:
                # As the legacy worker built it: str(float(amount)).
                base = f"{org_id}|{day.isoformat()}|{float(amount)}|{description}|{category}"
                fingerprints.append((base, hashlib.sha256(base.encode()).digest()))
        keys = [int.from_bytes(digest[:8], "little") for _, digest in fingerprints]
        indices = iter(zip(self._counter.next_indices(keys), fingerprints, strict=True))
        out: list[TransactionRow] = []
        for day, amount, currency, category, description, payload, explicit_id, _ in parsed:
            if explicit_id:
                source_id = explicit_id
            else:
                k, (base, digest) = next(indices)
                source_id = (
                    digest.hex() if k == 0 else hashlib.sha256(f"{base}|{k}".encode()).hexdigest()
                )
            out.append(
                TransactionRow(
                    org_id,
                    batch_id,
                    source_id,
                    day,
                    amount,
                    currency,
                    category,
                    description,
                    payload,
                    False,
                )
            )
        return out
