"""``export_pdf``: its declaration (contract §5.3); the export family's database code is in
:mod:`app.jobtypes.exports`."""

from __future__ import annotations

from app.jobtypes.exports import export_job_type

JOB_TYPE = export_job_type(
    "export_pdf", "a report PDF of a model run (executive summary, board, memo, budget variance)"
)
