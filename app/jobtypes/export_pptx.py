"""``export_pptx``: its declaration (contract §5.3); the export family's database code is in
:mod:`app.jobtypes.exports`."""

from __future__ import annotations

from app.jobtypes.exports import export_job_type

JOB_TYPE = export_job_type(
    "export_pptx", "a slide deck of a model run (with the Monte Carlo fan when asked)"
)
