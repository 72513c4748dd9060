"""``python -m app jobs …``: the operator CLI over the ``jobs`` table and dramatiq-pg.

Readable tables that fit the terminal (80 columns and up), ``--json`` for scripts (before or
after the command). Commands that list jobs take ``--type``, ``--status``, ``--org`` and
``--since``. Commands that change rows ask for confirmation, or take ``--yes``. Job ids may be
given whole or by their first 8 (or more) hex digits, as ``jobs recent`` prints them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from app import messages, serving
from app.cli import EXIT_USAGE, CliError, add_json_flag, print_json, run_guarded
from app.client import JobHandle
from app.db import Database, execute, jsonb
from app.job import TERMINAL_STATUSES, JobStatus
from app.jobtypes import REGISTRY
from app.ops_tables import Column, clip, duration, fit_table, stamp, table
from app.settings import Settings

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_HEX = re.compile(r"^[0-9a-f]{8,32}$")
#: Hex digits of a job id shown in tables (and the shortest prefix accepted).
SHORT_ID = 8
#: Statuses ``jobs retry`` may requeue (as ``ops_retry``).
REQUEUEABLE = ("dead_letter", "failed", "cancelled", "retrying")
#: Narrowest and fallback widths of the tables.
MIN_WIDTH, FALLBACK_WIDTH = 80, 120


def parse_since(text: str) -> dt.datetime:
    """``30m``, ``6h``, ``2d`` (ago) or an ISO timestamp (UTC when it names no zone)."""
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


def _words(allowed: Sequence[str], what: str) -> Callable[[str], list[str]]:
    """An argparse type: a comma list of ``allowed`` words."""

    def parse(text: str) -> list[str]:
        words = [w.strip() for w in text.split(",") if w.strip()]
        unknown = [w for w in words if w not in allowed]
        if unknown or not words:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {', '.join(unknown) or repr(text)}; one of {', '.join(allowed)}"
            )
        return words

    return parse


def _org(text: str) -> str:
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--org takes an org id (a UUID), not {text!r}") from None


@dataclass(frozen=True)
class JobFilter:
    """What the listing commands select (``--type``, ``--status``, ``--org``, ``--since``), as
    the parameters of the ``ops_*`` listing blocks: None is no filter."""

    types: tuple[str, ...] = REGISTRY.names
    statuses: tuple[str, ...] | None = None
    org_id: str | None = None
    since: dt.datetime | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> JobFilter:
        def flat(lists: list[list[str]] | None) -> tuple[str, ...] | None:
            return tuple(dict.fromkeys(w for ws in lists for w in ws)) if lists else None

        return cls(
            types=flat(getattr(args, "types", None)) or REGISTRY.names,
            statuses=flat(getattr(args, "statuses", None)),
            org_id=getattr(args, "org_id", None),
            since=getattr(args, "since", None),
        )

    def params(self) -> dict[str, Any]:
        return {
            "types": list(self.types),
            "statuses": None if self.statuses is None else list(self.statuses),
            "org_id": self.org_id,
            "since": self.since,
        }


def id_range(text: str) -> tuple[str, str]:
    """The UUIDs a typed job id may mean: itself, or every id starting with a prefix of at
    least :data:`SHORT_ID` hex digits. Raises :class:`CliError` for anything else."""
    digits = text.strip().lower().replace("-", "")
    if not _HEX.match(digits):
        raise CliError(
            f"❌ {text!r} is not a job id: give its UUID, or its first {SHORT_ID} or more hex "
            "digits as `jobs recent` shows them",
            EXIT_USAGE,
        )
    low, high = digits.ljust(32, "0"), digits.ljust(32, "f")
    return str(uuid.UUID(hex=low)), str(uuid.UUID(hex=high))


def _recent_columns() -> list[Column]:
    def status(r: dict[str, Any]) -> str:
        if r["status"] == JobStatus.RUNNING and r["progress"]:
            return f"running {r['progress']:.0f}%"
        return str(r["status"])

    return [
        Column("id", lambda r: r["id"][:SHORT_ID]),
        Column("type", lambda r: r["job_type"] or ""),
        Column("status", status),
        Column("try", lambda r: f"{r['attempts']}/{r['max_attempts']}"),
        Column("created (UTC)", lambda r: stamp(r["created_at"], short=True)),
        Column("took", lambda r: duration(r["took_s"])),
        Column("error", lambda r: clip(r["last_error"]), flex=True),
    ]


def _stuck_columns() -> list[Column]:
    return [
        Column("id", lambda r: r["id"][:SHORT_ID]),
        Column("type", lambda r: r["job_type"] or ""),
        Column("try", lambda r: f"{r['attempts']}/{r['max_attempts']}"),
        Column("started (UTC)", lambda r: stamp(r["run_started_at"], short=True)),
        Column("lease gone", lambda r: duration(r["expired_for_s"])),
        Column("worker", lambda r: r["worker_id"] or "", flex=True),
    ]


class Ops:
    """Each command, as a method returning an exit code."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        out: TextIO,
        as_json: bool,
        confirm: Callable[[str], bool],
        width: int = FALLBACK_WIDTH,
    ) -> None:
        self.db, self.settings, self.out = db, settings, out
        self.as_json, self.confirm, self.width = as_json, confirm, width

    def _emit(self, rows: Any, title: str | None = None, flex: str | None = None) -> None:
        if self.as_json:
            print_json(rows, self.out)
            return
        if title:
            print(title, file=self.out)
        table(rows, self.out, self.width, flex)

    def _say(self, text: str, doc: dict[str, Any]) -> None:
        """A command's outcome: ``text`` for a person, ``doc`` with ``--json``."""
        if self.as_json:
            print_json(doc, self.out)
        else:
            print(text, file=self.out)

    def _job(self, typed_id: str) -> dict[str, Any]:
        """The job a typed id (whole or a prefix) names, or :class:`CliError`."""
        low, high = id_range(typed_id)
        rows = self.db.run("ops_job_by_id_prefix", {"low": low, "high": high})
        if not rows:
            raise CliError(f"❌ No job {typed_id}")
        if len(rows) > 1:
            raise CliError(f"❌ Job id {typed_id} is ambiguous: give more of it", EXIT_USAGE)
        return rows[0]

    def stats(self, filters: JobFilter) -> int:
        presence_s = self.settings.worker_presence_s
        with self.db.transaction() as cur:
            counts = execute(cur, "ops_counts", filters.params())
            in_flight = execute(cur, "ops_in_flight", filters.params())
            oldest = messages.oldest_due_s(cur, filters.types)
            queue_rows = messages.message_counts(cur)
            workers = serving.live_workers(cur, presence_s)
            claimed = [t for t in self.settings.job_types if t in filters.types]
            unserved = serving.unserved_waiting(cur, claimed, presence_s)
        if self.as_json:
            print_json(
                {
                    "jobs": counts,
                    "oldestDueSeconds": oldest,
                    "inFlight": in_flight,
                    "liveWorkers": workers,
                    "unserved": unserved,
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
        threads = sum(w["threads"] for w in workers)
        print(
            f"\nLive workers (seen in the last {presence_s:g} s): {len(workers)} process(es), "
            f"{threads} thread(s)",
            file=self.out,
        )
        if unserved:
            self._emit(
                [{k: r[k] for k in ("job_type", "queue", "waiting", "reason")} for r in unserved],
                "\nJob types no live worker serves (their jobs wait with nobody to run them):",
                flex="reason",
            )
        else:
            print("Every claimed job type has a live worker.", file=self.out)
        self._emit(queue_rows, "\ndramatiq-pg messages:")
        return 0

    def recent(self, filters: JobFilter, limit: int) -> int:
        rows = self.db.run("ops_recent", {**filters.params(), "limit": limit})
        if self.as_json:
            print_json(rows, self.out)
        else:
            fit_table(rows, _recent_columns(), self.width, self.out)
        return 0

    def stuck(self, filters: JobFilter) -> int:
        rows = self.db.run("ops_stuck", filters.params())
        if self.as_json:
            print_json(rows, self.out)
        else:
            fit_table(rows, _stuck_columns(), self.width, self.out)
        return 0

    def show(self, typed_id: str) -> int:
        job_id = self._job(typed_id)["id"]
        rows = self.db.run(
            "ops_show", {"job_id": job_id, "domain_refs": jsonb(REGISTRY.domain_refs())}
        )
        job = rows[0]
        spec = REGISTRY.get(job["job_type"])
        domain_query = spec.domain.show_sql if spec and spec.domain else None
        domain = (
            self.db.run(domain_query, {"ref": job["domain_ref"] or "", "job_id": job_id})
            if domain_query
            else []
        )
        if self.as_json:
            print_json({"job": job, "domain": domain}, self.out)
            return 0
        logs = job.pop("logs")
        width = max(len(k) for k in job)
        for key, value in job.items():
            text = stamp(value) + " UTC" if isinstance(value, dt.datetime) else clip(value)
            print(f"{key.ljust(width)}  {text}".rstrip(), file=self.out)
        print("\nlogs:", file=self.out)
        for entry in logs:
            meta = json.dumps(entry.get("meta", {}), default=str)
            print(
                f"  {entry.get('ts', '')} {entry.get('level', ''):5} {entry.get('msg', '')} "
                f"{meta if meta != '{}' else ''}".rstrip(),
                file=self.out,
            )
        self._emit(domain, "\ndomain row:")
        return 0

    def _retry(self, job_ids: list[str], what: str) -> int:
        if not job_ids:
            self._say("nothing to requeue", {"requeued": []})
            return 0
        if not self.confirm(f"Requeue {what} ({len(job_ids)} job(s))?"):
            self._say("aborted", {"requeued": [], "aborted": True})
            return 1
        rows = self.db.run(
            "ops_retry", {"job_ids": job_ids, "max_entries": self.settings.log_max_entries}
        )
        if self.as_json:
            print_json({"requeued": rows}, self.out)
        else:
            self._emit(rows, f"requeued {len(rows)} job(s):")
        return 0 if rows else 1

    def retry(self, typed_id: str) -> int:
        job = self._job(typed_id)
        if job["status"] not in REQUEUEABLE:
            raise CliError(
                f"❌ Job {job['id']} is {job['status']}: only {', '.join(REQUEUEABLE)} jobs can "
                "be requeued"
            )
        return self._retry([job["id"]], f"job {job['id']} ({job['job_type']}, {job['status']})")

    def requeue_dead(self, job_type: str, since: dt.datetime, org_id: str | None) -> int:
        ids = [
            r["id"]
            for r in self.db.run(
                "ops_dead_since", {"job_type": job_type, "since": since, "org_id": org_id}
            )
        ]
        org = f" of org {org_id}" if org_id else ""
        return self._retry(ids, f"dead-lettered {job_type} jobs{org} since {stamp(since)} UTC")

    def cancel(self, typed_id: str) -> int:
        job = self._job(typed_id)
        if job["status"] in {s.value for s in TERMINAL_STATUSES}:
            raise CliError(f"❌ Job {job['id']} has already ended ({job['status']})")
        if not self.confirm(f"Cancel job {job['id']} ({job['job_type']}, {job['status']})?"):
            self._say("aborted", {"id": job["id"], "aborted": True})
            return 1
        handle = JobHandle(self.db, job["id"])
        status = handle.cancel()
        pending = status == JobStatus.RUNNING
        self._say(
            f"job {job['id']}: {status}"
            + (" (cancel requested; it stops at its next safe point)" if pending else ""),
            {
                "id": job["id"],
                "jobType": handle.job_type,
                "status": status,
                "cancelRequested": pending,
            },
        )
        return 0

    def purge(self, dry_run: bool, age_s: float) -> int:
        count = messages.purge_finished(self.db, age_s=age_s, dry_run=True)
        doc: dict[str, Any] = {"dryRun": dry_run, "olderThanSeconds": age_s, "finished": count}
        if dry_run:
            self._say(
                f"{count} finished dramatiq-pg message(s) older than {age_s:.0f}s would be deleted",
                doc,
            )
            return 0
        if count and not self.confirm(f"Delete {count} finished dramatiq-pg message(s)?"):
            self._say("aborted", doc | {"deleted": 0, "aborted": True})
            return 1
        deleted = messages.purge_finished(self.db, age_s=age_s) if count else 0
        self._say(f"deleted {deleted} message(s)", doc | {"deleted": deleted})
        return 0


def _add_filters(parser: argparse.ArgumentParser, *, status: bool = True) -> None:
    group = parser.add_argument_group("filters (combined with AND)")
    group.add_argument(
        "--type",
        dest="types",
        action="append",
        type=_words(REGISTRY.names, "job type"),
        metavar="TYPE[,TYPE]",
        help="only these job types (repeatable)",
    )
    if status:
        group.add_argument(
            "--status",
            dest="statuses",
            action="append",
            type=_words([s.value for s in JobStatus], "status"),
            metavar="STATUS[,STATUS]",
            help="only these statuses: " + ", ".join(s.value for s in JobStatus),
        )
    group.add_argument("--org", dest="org_id", type=_org, metavar="ORG_ID", help="one org's jobs")
    group.add_argument(
        "--since",
        type=parse_since,
        metavar="WHEN",
        help="created since 30m, 6h, 2d ago, or an ISO time (UTC unless it says)",
    )


def _command(
    cmds: Any,
    name: str,
    summary: str,
    description: str,
    *,
    job_id: bool = False,
    yes: bool = False,
) -> argparse.ArgumentParser:
    """One ``jobs`` command: its help line, its description, ``--json`` and the usual
    arguments (a job id, ``--yes`` for the commands that change rows)."""
    parser: argparse.ArgumentParser = cmds.add_parser(
        name, help=summary, description=f"{summary[0].upper()}{summary[1:]}. {description}"
    )
    if job_id:
        parser.add_argument("job_id", help="the job's UUID, or its first 8 or more hex digits")
    add_json_flag(parser)
    if yes:
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


def add_parser(sub: Any) -> None:
    """Register ``jobs`` and its commands on the ``python -m app`` parser."""
    jobs = sub.add_parser("jobs", help="operator commands over the jobs table", description=__doc__)
    add_json_flag(jobs, top=True)
    cmds = jobs.add_subparsers(dest="jobs_command", required=True, metavar="COMMAND")
    stats = _command(
        cmds,
        "stats",
        "jobs by type, queue and status, and what waits",
        "Also: the oldest runnable job's wait, running jobs by worker, live workers (seen "
        "within WORKER_PRESENCE_SECONDS), the job types of WORKER_JOB_TYPES that no live worker "
        "serves (their jobs wait with nobody to run them) and dramatiq-pg messages by state.",
    )
    _add_filters(stats)
    recent = _command(
        cmds,
        "recent",
        "the newest jobs",
        "One line each, newest first: short id, type, status (with progress), attempts, "
        "creation time, run time and the start of the error.",
    )
    recent.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    _add_filters(recent)
    stuck = _command(
        cmds,
        "stuck",
        "running jobs whose lease has expired",
        "The reaper's next work: their worker stopped heartbeating. The reaper releases them "
        "within WORKER_REAPER_INTERVAL_SECONDS; a long list means no bridge is running.",
    )
    _add_filters(stuck, status=False)
    _command(
        cmds,
        "show",
        "one job: its row, logs and domain row",
        "Parameter values in the logs are hidden (only their key count is shown).",
        job_id=True,
    )
    _command(
        cmds,
        "retry",
        "requeue one ended job as the backend's admin requeue",
        f"Only {', '.join(REQUEUEABLE)} jobs: the job becomes queued with 0 attempts, its "
        "error and lease cleared.",
        job_id=True,
        yes=True,
    )
    _command(
        cmds,
        "cancel",
        "cancel a job as the backend's cancel route does",
        "A waiting job ends cancelled at once; a running one is asked to stop at its next "
        "safe point.",
        job_id=True,
        yes=True,
    )
    dead = _command(
        cmds,
        "requeue-dead",
        "requeue dead-lettered jobs of a type",
        "Every job of the type dead-lettered since the given time is requeued as `retry` does.",
        yes=True,
    )
    dead.add_argument(
        "--type",
        dest="job_type",
        required=True,
        choices=sorted(REGISTRY.names),
        help="the job type: " + "; ".join(f"{t.name}: {t.summary}" for t in REGISTRY),
    )
    dead.add_argument(
        "--since",
        type=parse_since,
        required=True,
        help="dead-lettered since 30m, 6h, 2d ago, or an ISO time (UTC unless it says)",
    )
    dead.add_argument("--org", dest="org_id", type=_org, metavar="ORG_ID", help="one org's jobs")
    purge = _command(
        cmds,
        "purge",
        "delete finished dramatiq-pg messages",
        "The bridge does this every BRIDGE_PURGE_INTERVAL_SECONDS; job rows are never touched.",
        yes=True,
    )
    purge.add_argument("--dry-run", action="store_true", help="only count")
    purge.add_argument(
        "--older-than",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="age of finished messages to delete (default 3600)",
    )


def terminal_width() -> int:
    """The terminal's columns (``COLUMNS`` first), never below :data:`MIN_WIDTH`."""
    return max(MIN_WIDTH, shutil.get_terminal_size((FALLBACK_WIDTH, 24)).columns)


def run(
    args: argparse.Namespace,
    settings: Settings,
    out: TextIO = sys.stdout,
    ask: Callable[[str], str] = input,
) -> int:
    """Run one ``jobs`` command; ordinary failures are one line on stderr and exit non-zero."""
    db = Database(settings.database, max_connections=2, application_name="finapilot-ops")

    def confirm(question: str) -> bool:
        if getattr(args, "yes", False):
            return True
        if not sys.stdin.isatty() and ask is input:
            print(f"{question} refusing without a terminal: add --yes", file=sys.stderr)
            return False
        # The question goes to stderr so that stdout holds only the command's output.
        print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
        return ask("").strip().lower() in ("y", "yes")

    ops = Ops(db, settings, out, args.json, confirm, terminal_width())
    filters = JobFilter.from_args(args)
    commands: dict[str, Callable[[], int]] = {
        "stats": lambda: ops.stats(filters),
        "recent": lambda: ops.recent(filters, args.limit),
        "stuck": lambda: ops.stuck(filters),
        "show": lambda: ops.show(args.job_id),
        "retry": lambda: ops.retry(args.job_id),
        "cancel": lambda: ops.cancel(args.job_id),
        "requeue-dead": lambda: ops.requeue_dead(args.job_type, args.since, args.org_id),
        "purge": lambda: ops.purge(args.dry_run, args.older_than),
    }
    try:
        return run_guarded(commands[args.jobs_command], settings.database)
    finally:
        db.close()
