"""``export_pdf``, ``export_pptx``, ``export_csv``: not wired yet (fail clearly)."""

from __future__ import annotations

from actors.placeholders import placeholder

for _name in ("export_pdf", "export_pptx", "export_csv"):
    placeholder(_name)
