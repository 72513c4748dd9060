"""``investor_export_pdf`` (CONTRACT-2 §6.9): a thin actor over
:func:`actors.investor_common.run_investor_export`."""

from __future__ import annotations

from actors.base import job_actor
from actors.investor_common import run_investor_export
from app.jobtypes import investor_export_pdf as decl


@job_actor(decl.JOB_TYPE)
def investor_export_pdf(job_id: str) -> None:
    run_investor_export("pdf")
