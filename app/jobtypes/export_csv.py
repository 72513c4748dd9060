"""``export_csv``: its declaration (contract §5.3); the export family's database code is in
:mod:`app.jobtypes.exports`."""

from __future__ import annotations

from app.jobtypes.exports import export_job_type

JOB_TYPE = export_job_type("export_csv", "the monthly figures of a model run as CSV")
