"""Which worker processes are dead, from successive liveness checks (issue 12); no SQL.

Every worker process holds a session advisory lock on one long-lived connection while it lives
(:mod:`app.liveness`), so a lock that is gone means the process died, or its connection did.
The bridge acts on that at once, with two guards:

* a process whose lock is missing must still be missing at the next check (a process whose
  session was cut, for example by ``pg_terminate_backend``, takes it back within a moment);
* a database restart, or anything else that cut the bridge's own connection, drops every
  session at once: a process that has not taken its lock back since is given
  ``WORKER_RECONNECT_GRACE_SECONDS`` (from the server's start or the bridge's reconnect) before
  it is declared dead, so reconnecting workers keep their jobs. A process seen holding its
  lock again since then is judged as usual: a crash right after a restart is noticed in
  seconds, not after the grace.

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
        self._restart_seen: float | None = None  # the start time of the last restart seen
        #: Processes seen holding their lock since the last disruption.
        self._back: set[str] = set()

    def disrupted(self) -> None:
        """The bridge lost its database connection: every session may have been dropped."""
        self._quiet_until = self._clock() + self.reconnect_grace_s
        self._back.clear()
        self._missing_since.clear()

    def observe(self, check: LivenessCheck) -> list[str]:
        """The processes missing now and at an earlier check at least ``confirm_s`` ago."""
        now = self._clock()
        if check.server_up_s < self.reconnect_grace_s:
            # The server (re)started recently: its sessions are coming back.
            if check.server_started_s != self._restart_seen:
                self._restart_seen = check.server_started_s
                self._back.clear()
                self._missing_since.clear()
            self._quiet_until = max(
                self._quiet_until, now + self.reconnect_grace_s - check.server_up_s
            )
        quiet = now < self._quiet_until
        self._back = (self._back | set(check.alive)) & (set(check.alive) | set(check.lost))
        lost = [w for w in check.lost if not (quiet and w not in self._back)]
        self._missing_since = {w: self._missing_since.get(w, now) for w in lost}
        return sorted(
            w for w, since in self._missing_since.items() if now - since >= self.confirm_s
        )
