"""``monte_carlo``: not wired yet (fails clearly, never invents a result)."""

from __future__ import annotations

from actors.placeholders import placeholder

placeholder("monte_carlo")
