"""Reading uploaded workbooks (CONTRACT-2 §5): checked first (:mod:`.guard`), then read with
openpyxl in read-only mode (:mod:`.sheets`), as the preview (:mod:`.preview`) or as ledger rows
through the CSV import's row seam (:mod:`.importer`). No database, no S3."""
