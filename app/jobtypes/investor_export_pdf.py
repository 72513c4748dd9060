"""``investor_export_pdf``: its declaration (CONTRACT-2 §6); the family's database code is in
:mod:`app.jobtypes.investor_exports`."""

from __future__ import annotations

from app.jobtypes.investor_exports import investor_job_type

JOB_TYPE = investor_job_type(
    "investor_export_pdf",
    "a data-only investor memo PDF of a model run (password protection: AES-256)",
)
