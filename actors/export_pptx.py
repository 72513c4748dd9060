"""``export_pptx`` (contract §5.3): a thin actor over :func:`actors.export_common.run_export`."""

from __future__ import annotations

from actors.base import job_actor
from actors.export_common import PPTX_KIND, run_export
from app.jobtypes import export_pptx as decl


@job_actor(decl.JOB_TYPE)
def export_pptx(job_id: str) -> None:
    run_export(PPTX_KIND)
