"""``python -m app jobs …``: the operator CLI over the ``jobs`` table and dramatiq-pg.

Readable tables in a terminal, ``--json`` for scripts. Commands that change rows ask for
confirmation, or take ``--yes``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from app import messages
from app.client import JobHandle
from app.db import Database, execute, jsonb
from app.jobtypes import REGISTRY
from app.settings import Settings

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str) -> dt.datetime:
    """``30m``, ``6h``, ``2d`` (ago) or an ISO timestamp."""
    match = _DURATION.match(text.strip())
    if match:
        seconds = int(match.group(1)) * _UNITS[match.group(2)]
        return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--since takes 30m, 6h, 2d or an ISO time, not {text!r}"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def table(rows: Sequence[dict[str, Any]], out: TextIO) -> None:
    """Print rows as an aligned text table."""
    if not rows:
        print("(none)", file=out)
        return
    cols = list(rows[0].keys())
    cells = [[_cell(r[c]) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)), file=out)


def _json(value: Any, out: TextIO) -> None:
    print(json.dumps(value, default=_cell, indent=2), file=out)


class Ops:
    """Each command, as a method returning an exit code."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        out: TextIO,
        as_json: bool,
        confirm: Callable[[str], bool],
    ) -> None:
        self.db, self.settings, self.out, self.as_json, self.confirm = (
            db,
            settings,
            out,
            as_json,
            confirm,
        )
        self.types = sorted(REGISTRY.names)

    def _emit(self, rows: Any, title: str | None = None) -> None:
        if self.as_json:
            _json(rows, self.out)
            return
        if title:
            print(title, file=self.out)
        table(rows, self.out)

    def stats(self) -> int:
        with self.db.transaction() as cur:
            counts = execute(cur, "ops_counts", {"types": self.types})
            in_flight = execute(cur, "ops_in_flight", {"types": self.types})
            oldest = messages.oldest_due_s(cur, self.types)
            queue_rows = messages.message_counts(cur)
        if self.as_json:
            _json(
                {
                    "jobs": counts,
                    "oldestDueSeconds": oldest,
                    "inFlight": in_flight,
                    "dramatiqMessages": queue_rows,
                    "purgeable": messages.purge_finished(
                        self.db, age_s=self.settings.purge_age_s, dry_run=True
                    ),
                },
                self.out,
            )
            return 0
        self._emit(counts, "Jobs by type, queue and status:")
        print(f"\nOldest runnable job waiting: {oldest:.1f} s", file=self.out)
        self._emit(in_flight, "\nIn flight (running) by owner:")
        self._emit(queue_rows, "\ndramatiq-pg messages:")
        return 0

    def recent(self, limit: int) -> int:
        self._emit(self.db.run("ops_recent", {"types": self.types, "limit": limit}))
        return 0

    def stuck(self) -> int:
        self._emit(self.db.run("ops_stuck", {"types": self.types}))
        return 0

    def show(self, job_id: str) -> int:
        rows = self.db.run(
            "ops_show", {"job_id": job_id, "domain_refs": jsonb(REGISTRY.domain_refs())}
        )
        if not rows:
            print(f"no job {job_id}", file=sys.stderr)
            return 1
        job = rows[0]
        spec = REGISTRY.get(job["job_type"])
        domain_query = spec.domain.show_sql if spec and spec.domain else None
        domain = (
            self.db.run(domain_query, {"ref": job["domain_ref"] or "", "job_id": job_id})
            if domain_query
            else []
        )
        if self.as_json:
            _json({"job": job, "domain": domain}, self.out)
            return 0
        logs = job.pop("logs")
        width = max(len(k) for k in job)
        for key, value in job.items():
            print(f"{key.ljust(width)}  {_cell(value)}", file=self.out)
        print("\nlogs:", file=self.out)
        for entry in logs:
            meta = json.dumps(entry.get("meta", {}), default=str)
            print(
                f"  {entry.get('ts', '')} {entry.get('level', ''):5} {entry.get('msg', '')} "
                f"{meta if meta != '{}' else ''}",
                file=self.out,
            )
        self._emit(domain, "\ndomain row:")
        return 0

    def _retry(self, job_ids: list[str], what: str) -> int:
        if not job_ids:
            print("nothing to requeue", file=self.out)
            return 0
        if not self.confirm(f"Requeue {what} ({len(job_ids)} job(s))?"):
            print("aborted", file=self.out)
            return 1
        rows = self.db.run(
            "ops_retry", {"job_ids": job_ids, "max_entries": self.settings.log_max_entries}
        )
        self._emit(rows, f"requeued {len(rows)} job(s):")
        return 0 if rows else 1

    def retry(self, job_id: str) -> int:
        return self._retry([job_id], f"job {job_id}")

    def requeue_dead(self, job_type: str, since: dt.datetime) -> int:
        ids = [
            r["id"] for r in self.db.run("ops_dead_since", {"job_type": job_type, "since": since})
        ]
        return self._retry(ids, f"dead-lettered {job_type} jobs since {_cell(since)} UTC")

    def cancel(self, job_id: str) -> int:
        if not self.confirm(f"Cancel job {job_id}?"):
            print("aborted", file=self.out)
            return 1
        status = JobHandle(self.db, job_id).cancel()
        print(
            f"job {job_id}: {status}"
            + (
                " (cancel requested; it stops at its next safe point)"
                if status == "running"
                else ""
            ),
            file=self.out,
        )
        return 0

    def purge(self, dry_run: bool, age_s: float) -> int:
        count = messages.purge_finished(self.db, age_s=age_s, dry_run=True)
        if dry_run:
            print(
                f"{count} finished dramatiq-pg message(s) older than {age_s:.0f}s would be deleted",
                file=self.out,
            )
            return 0
        if count and not self.confirm(f"Delete {count} finished dramatiq-pg message(s)?"):
            print("aborted", file=self.out)
            return 1
        print(f"deleted {messages.purge_finished(self.db, age_s=age_s)} message(s)", file=self.out)
        return 0


def add_parser(sub: Any) -> None:
    """Register ``jobs`` and its commands on the ``python -m app`` parser."""
    jobs = sub.add_parser("jobs", help="operator commands over the jobs table", description=__doc__)
    jobs.add_argument("--json", action="store_true", help="machine-readable output")
    cmds = jobs.add_subparsers(dest="jobs_command", required=True)
    cmds.add_parser("stats", help="jobs by status/type/queue, oldest due job, in flight")
    recent = cmds.add_parser("recent", help="the newest jobs")
    recent.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    cmds.add_parser("stuck", help="running jobs whose lease has expired (the reaper's next work)")
    show = cmds.add_parser("show", help="one job: row, logs (parameters hidden), domain row")
    show.add_argument("job_id")
    retry = cmds.add_parser("retry", help="requeue one ended job as the backend's admin requeue")
    retry.add_argument("job_id")
    retry.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    cancel = cmds.add_parser("cancel", help="cancel as the backend's cancel route does")
    cancel.add_argument("job_id")
    cancel.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    dead = cmds.add_parser("requeue-dead", help="requeue dead-lettered jobs of a type")
    dead.add_argument(
        "--type",
        dest="job_type",
        required=True,
        choices=sorted(REGISTRY.names),
        help="the job type: " + "; ".join(f"{t.name}: {t.summary}" for t in REGISTRY),
    )
    dead.add_argument(
        "--since", type=parse_since, required=True, help="30m, 6h, 2d (ago) or an ISO timestamp"
    )
    dead.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    purge = cmds.add_parser("purge", help="delete finished dramatiq-pg messages")
    purge.add_argument("--dry-run", action="store_true", help="only count")
    purge.add_argument(
        "--older-than",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="age of finished messages to delete (default 3600)",
    )
    purge.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def run(
    args: argparse.Namespace,
    settings: Settings,
    out: TextIO = sys.stdout,
    ask: Callable[[str], str] = input,
) -> int:
    db = Database(settings.database, max_connections=2, application_name="finapilot-ops")

    def confirm(question: str) -> bool:
        if getattr(args, "yes", False):
            return True
        if not sys.stdin.isatty() and ask is input:
            print(f"{question} refusing without a terminal: add --yes", file=sys.stderr)
            return False
        return ask(f"{question} [y/N] ").strip().lower() in ("y", "yes")

    ops = Ops(db, settings, out, args.json, confirm)
    try:
        command = args.jobs_command
        if command == "stats":
            return ops.stats()
        if command == "recent":
            return ops.recent(args.limit)
        if command == "stuck":
            return ops.stuck()
        if command == "show":
            return ops.show(args.job_id)
        if command == "retry":
            return ops.retry(args.job_id)
        if command == "cancel":
            return ops.cancel(args.job_id)
        if command == "requeue-dead":
            return ops.requeue_dead(args.job_type, args.since)
        return ops.purge(args.dry_run, args.older_than)
    finally:
        db.close()
