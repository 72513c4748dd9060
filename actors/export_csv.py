"""``export_csv`` (contract §5.3): a thin actor over :func:`actors.export_common.run_export`."""

from __future__ import annotations

from actors.base import job_actor
from actors.export_common import CSV_KIND, run_export
from app.jobtypes import export_csv as decl


@job_actor(decl.JOB_TYPE)
def export_csv(job_id: str) -> None:
    run_export(CSV_KIND)
