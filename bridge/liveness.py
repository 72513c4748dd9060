"""Which worker processes are dead, from successive liveness checks (issue 12); no SQL.

Every worker process holds a session advisory lock on one long-lived connection while it lives
(:mod:`app.liveness`), so a lock that is gone means the process died, or its connection did.
The bridge acts on that at once, with two guards:

* a process whose lock is missing must still be missing at the next check (a process whose
  session was cut, for example by ``pg_terminate_backend``, takes it back within a moment);
* a database restart, or anything else that cut the bridge's own connection, drops every
  session at once: for ``WORKER_RECONNECT_GRACE_SECONDS`` after the server started or the
  bridge reconnected, nothing is declared dead, so reconnecting workers keep their jobs.

Jobs of a process that is hung but still connected are not found here: their lease expires and
the reaper takes them (the fallback).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bridge.manager import LivenessCheck


class LivenessTracker:
    """Turns liveness checks into the list of processes to treat as dead."""

    def __init__(
        self,
        *,
        reconnect_grace_s: float,
        confirm_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reconnect_grace_s = reconnect_grace_s
        self.confirm_s = confirm_s
        self._clock = clock
        self._missing_since: dict[str, float] = {}
        self._quiet_until = float("-inf")

    def disrupted(self) -> None:
        """The bridge lost its database connection: every session may have been dropped."""
        self._quiet_until = self._clock() + self.reconnect_grace_s
        self._missing_since.clear()

    @property
    def quiet(self) -> bool:
        """Within a grace period (nothing is declared dead)."""
        return self._clock() < self._quiet_until

    def observe(self, check: LivenessCheck) -> list[str]:
        """The processes missing now and at an earlier check at least ``confirm_s`` ago."""
        now = self._clock()
        if check.server_up_s < self.reconnect_grace_s:
            # The server (re)started recently: its sessions are coming back.
            self._quiet_until = max(
                self._quiet_until, now + self.reconnect_grace_s - check.server_up_s
            )
        if now < self._quiet_until:
            self._missing_since.clear()
            return []
        self._missing_since = {w: self._missing_since.get(w, now) for w in check.lost}
        return sorted(
            w for w, since in self._missing_since.items() if now - since >= self.confirm_s
        )
