"""``model_run``: not wired yet (fails clearly, never invents a result)."""

from __future__ import annotations

from actors.placeholders import placeholder

placeholder("model_run")
