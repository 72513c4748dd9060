"""The jobs list: filters, a keyset cursor, and the plan that keeps a page fast on 1,000,000 rows.

The backend indexes ``jobs`` on ``(status, priority, created_at)``, ``job_type``, ``org_id``,
``(queue, status)`` and ``status``, but not on ``created_at`` alone, so "newest first" cannot be
read from one index. A page is found by one of three plans (``app/sql/console.sql``):

* ``index``: no filter beyond status and since. Every (status, priority) range of the composite
  index is walked backwards from the cursor, at most a page each, and merged. Cost: a page per
  range, whatever the table size or the page depth.
* ``narrow``: a type, org or queue filter that the planner estimates selects at most
  :data:`NARROW_MAX_ROWS` rows: those rows are read through their index and sorted.
* ``windows``: a broad filter (or text in ``last_error``, which no index covers): the merge of the
  first plan, over time windows that double from :data:`FIRST_WINDOW` until the page is full.
  Each window's size is counted first (index only); once :data:`SEARCH_BUDGET_ROWS` rows were
  examined the page stops early and says how far back it searched; "older" goes on from there.

Cursors are ``(created_at, id)`` of the last row shown, opaque in the URL.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from app.db import execute
from app.job import JobStatus

PAGE_SIZE = 50
NARROW_MAX_ROWS = 10_000
SEARCH_BUDGET_ROWS = 100_000
FIRST_WINDOW = dt.timedelta(minutes=15)
MIN_WINDOW = dt.timedelta(seconds=10)
TEXT_MAX_CHARS = 100
MIN_UUID = "00000000-0000-0000-0000-000000000000"

_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_SINCE = re.compile(r"^(\d{1,4})([mhd])$")
_SINCE_UNITS = {"m": 60, "h": 3600, "d": 86400}
#: The choices the filter form offers for "since".
SINCE_CHOICES = ("", "15m", "1h", "6h", "24h", "7d", "30d")


class FilterError(ValueError):
    """A filter value the console does not accept (the message names the field)."""


@dataclass(frozen=True)
class JobFilters:
    """What the operator asked for; every field optional. An org is filtered by id, never name."""

    status: str | None = None
    job_type: str | None = None
    queue: str | None = None
    org_id: str | None = None
    since: str | None = None  # "6h", "7d" (ago)
    text: str | None = None  # in last_error, case-insensitive

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> JobFilters:
        """From query arguments; raise :class:`FilterError` for a value that is not accepted."""

        def get(name: str) -> str | None:
            return (args.get(name) or "").strip() or None

        status, job_type, queue = get("status"), get("type"), get("queue")
        org_id, since, text = get("org"), get("since"), get("text")
        if status is not None and status not in {s.value for s in JobStatus}:
            raise FilterError(f"status must be one of {', '.join(s.value for s in JobStatus)}")
        for label, value in (("type", job_type), ("queue", queue)):
            if value is not None and not _NAME.match(value):
                raise FilterError(f"{label} must be a name of letters, digits and _ . : -")
        if org_id is not None:
            try:
                org_id = str(uuid.UUID(org_id))
            except ValueError:
                raise FilterError("org must be an org id (a UUID), never a name") from None
        if since is not None and not _SINCE.match(since):
            raise FilterError("since must look like 30m, 6h or 7d")
        if text is not None and len(text) > TEXT_MAX_CHARS:
            raise FilterError(f"text must be at most {TEXT_MAX_CHARS} characters")
        return cls(status, job_type, queue, org_id, since, text)

    def query_args(self) -> dict[str, str]:
        """The filters as query arguments (ids and names only: no tenant data)."""
        pairs = {
            "status": self.status,
            "type": self.job_type,
            "queue": self.queue,
            "org": self.org_id,
            "since": self.since,
            "text": self.text,
        }
        return {k: v for k, v in pairs.items() if v}

    def since_at(self, now: dt.datetime) -> dt.datetime | None:
        match = _SINCE.match(self.since or "")
        if not match:
            return None
        return now - dt.timedelta(seconds=int(match.group(1)) * _SINCE_UNITS[match.group(2)])

    @property
    def residual(self) -> bool:
        """Filters the composite index cannot apply while it walks (checked row by row)."""
        return any((self.job_type, self.queue, self.org_id, self.text))

    def params(self) -> dict[str, Any]:
        return {
            "statuses": [self.status] if self.status else None,
            "job_type": self.job_type,
            "queue": self.queue,
            "org_id": self.org_id,
            "text": self.text,
        }


@dataclass(frozen=True)
class Cursor:
    """A page holds the rows strictly below ``(created_at, id)``, newest first."""

    created_at: dt.datetime
    id: str

    def encode(self) -> str:
        raw = f"{self.created_at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        if not text:
            return None
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            stamp, _, ident = raw.partition("|")
            created = dt.datetime.fromisoformat(stamp)
            return cls(
                created if created.tzinfo else created.replace(tzinfo=dt.UTC), str(uuid.UUID(ident))
            )
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise FilterError("the page link is not valid; start from the newest jobs") from None


@dataclass(frozen=True)
class JobsPage:
    """One page: its rows, the cursor of the next (older) page, and how it was found."""

    rows: list[dict[str, Any]]
    next_cursor: Cursor | None
    plan: str
    examined: int | None = None  # rows the windows plan looked at
    searched_to: dt.datetime | None = None  # set when the search budget ended the page early


@dataclass
class JobsQuery:
    """Runs one page on a read-only cursor (see the module docstring)."""

    limit: int = PAGE_SIZE
    narrow_max_rows: int = NARROW_MAX_ROWS
    budget_rows: int = SEARCH_BUDGET_ROWS
    first_window: dt.timedelta = FIRST_WINDOW
    plans: list[str] = field(default_factory=list)  # the plans chosen, for tests

    def page(
        self, cur: Any, filters: JobFilters, cursor: Cursor | None, now: dt.datetime
    ) -> JobsPage:
        params = {**filters.params(), "lo": filters.since_at(now), **_cursor_params(cursor)}
        fetch = self.limit + 1
        if not filters.residual:
            plan = "index"
            rows = execute(cur, "console_jobs_window", {**params, "limit": fetch})
        elif self.estimate(cur, params) <= self.narrow_max_rows:
            plan = "narrow"
            rows = execute(cur, "console_jobs_narrow", {**params, "limit": fetch})
        else:
            self.plans.append("windows")
            return self._windows(cur, params, cursor, now)
        self.plans.append(plan)
        return self._page(rows, plan)

    def estimate(self, cur: Any, params: Mapping[str, Any]) -> float:
        """Rows the planner expects the indexed filters to select."""
        row = execute(cur, "console_jobs_estimate", params)[0]
        plan = next(iter(row.values()))
        doc = json.loads(plan) if isinstance(plan, str) else plan
        return float(doc[0]["Plan"]["Plan Rows"])

    def _page(self, rows: list[dict[str, Any]], plan: str, **extra: Any) -> JobsPage:
        shown = rows[: self.limit]
        more = len(rows) > self.limit
        next_cursor = Cursor(shown[-1]["created_at"], shown[-1]["id"]) if more else None
        return JobsPage(shown, next_cursor, plan, **extra)

    def _windows(
        self, cur: Any, params: dict[str, Any], cursor: Cursor | None, now: dt.datetime
    ) -> JobsPage:
        fetch = self.limit + 1
        floor = params["lo"] or execute(cur, "console_jobs_oldest", params)[0]["oldest"]
        if floor is None:  # no job at all
            return JobsPage([], None, "windows", examined=0)
        hi = cursor.created_at if cursor else now
        width, examined = self.first_window, 0
        rows: list[dict[str, Any]] = []
        at = params
        while True:
            lo = max(hi - width, floor)
            size = execute(cur, "console_jobs_window_rows", {**at, "lo": lo})[0]["n"]
            if examined and examined + size > self.budget_rows:
                page = self._page(rows, "windows", examined=examined)
                if page.next_cursor is None:  # stopped early: "older" goes on below `hi`
                    page = replace(page, next_cursor=Cursor(hi, MIN_UUID), searched_to=hi)
                return page
            if not examined and size > self.budget_rows and width > MIN_WINDOW:
                width /= 4
                continue
            found = execute(
                cur, "console_jobs_window", {**at, "lo": lo, "limit": fetch - len(rows)}
            )
            rows += found
            examined += size
            if len(rows) >= fetch or lo <= floor:
                return self._page(rows, "windows", examined=examined)
            # Everything at or above `lo` was examined: go on strictly below it.
            hi, width = lo, width * 2
            at = {**params, **_cursor_params(Cursor(lo, MIN_UUID))}


def _cursor_params(cursor: Cursor | None) -> dict[str, Any]:
    if cursor is None:
        return {"before_ts": None, "before_id": None}
    return {"before_ts": cursor.created_at, "before_id": cursor.id}
