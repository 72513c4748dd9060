"""What a job type declares: the :class:`JobType` entry and the :class:`Registry` of them.

A job type is a unit: its declaration and database code in ``app/jobtypes/<type>.py``, its SQL
in ``app/sql/<type>.sql``, its dramatiq actor in ``actors/<type>.py``. Everything else (allowed
``WORKER_JOB_TYPES``, the producer's queue and priority, the bridge's routes, the domain-row
rule of the dispatch SQL, the start-up schema check, the CLI's choices) derives from the
registry in :mod:`app.jobtypes`. Queue names live here, in one place (contract §1.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import psycopg2.extras

from app.db import execute

QUEUE_DEFAULT = "default"
QUEUE_EXPORTS = "exports"
QUEUE_MONTECARLO = "montecarlo"
QUEUES: tuple[str, ...] = (QUEUE_DEFAULT, QUEUE_EXPORTS, QUEUE_MONTECARLO)

MINUTE_MS = 60_000
#: A domain-row source naming the job's ``object_id`` (any other source is a parameter key).
OBJECT_ID = "@object_id"

#: Tables and columns a piece of code needs, for the start-up check (contract §2.3).
Columns = Mapping[str, Sequence[str]]


class Transition(StrEnum):
    """How a domain row follows its job (contract §4.8)."""

    RESET = "reset"  # the job goes back to retrying
    FAIL = "fail"  # the job ends dead_letter or cancelled


@dataclass(frozen=True)
class DomainRow:
    """The backend row a job drives, and the named statements that move it.

    Attributes:
        table: the table (for operators and the docs).
        ref: where its id is, first present wins: :data:`OBJECT_ID` or a parameter key.
        reset_sql: statement putting it back to waiting when the job goes ``retrying``.
        fail_sql: statement failing it when the job ends ``dead_letter`` or ``cancelled``.
        show_sql: statement showing it in ``jobs show`` (params ``ref``, ``job_id``).
    """

    table: str
    ref: tuple[str, ...]
    reset_sql: str | None = None
    fail_sql: str | None = None
    show_sql: str | None = None

    def statement(self, transition: Transition) -> str | None:
        return self.reset_sql if transition is Transition.RESET else self.fail_sql


@dataclass(frozen=True)
class RetryOverrides:
    """Per-type changes to the retry policy of the settings (None keeps the setting)."""

    base_backoff_s: float | None = None
    max_backoff_s: float | None = None


@dataclass(frozen=True)
class FollowUp:
    """A job a type may insert in its final transaction (gated by ``WORKER_FOLLOWUP_JOBS``
    unless ``gated`` is False: inserts that are the purpose of the job are not gated)."""

    job_type: JobType
    priority: int
    gated: bool = True


@dataclass(frozen=True)
class JobType:
    """One ``jobs.job_type`` value and everything the worker needs to know about it.

    Attributes:
        name: the ``jobs.job_type`` value; also the actor's name and module (``actors/<name>.py``).
        queue: the dramatiq queue its messages go to, and the producer's default queue.
        priority: the producer's default priority (contract §1.1).
        summary: one line for the CLI's help and the README.
        domain: the domain row it drives, or None.
        time_limit_ms: dramatiq's time limit for one attempt.
        retry: changes to the retry policy.
        tables: tables and columns its code reads or writes (start-up check).
        unique_indexes: unique indexes its ``ON CONFLICT`` clauses need.
        followups: jobs it may insert in its final transaction.
        test_only: claimed only when listed in ``WORKER_JOB_TYPES`` (benchmarks and tests).
        implemented: False for a type the worker knows (it inserts it, the backend creates it)
            but does not run yet: it can never be claimed.
    """

    name: str
    queue: str
    priority: int
    summary: str
    domain: DomainRow | None = None
    time_limit_ms: int = 10 * MINUTE_MS
    retry: RetryOverrides = RetryOverrides()
    tables: Columns = field(default_factory=dict)
    unique_indexes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    followups: tuple[FollowUp, ...] = ()
    test_only: bool = False
    implemented: bool = True

    @property
    def actor_name(self) -> str:
        return self.name

    @property
    def actor_module(self) -> str:
        return f"actors.{self.name}"

    def move_domain_row(
        self,
        cur: psycopg2.extras.RealDictCursor,
        transition: Transition,
        *,
        job_id: str,
        org_id: str | None,
        object_id: str | None,
        domain_ref: str | None,
        last_error: str | None,
    ) -> None:
        """Move the domain row, guarded by its expected state, inside the caller's transaction."""
        name = self.domain.statement(transition) if self.domain else None
        if name is None or domain_ref is None:
            return
        execute(
            cur,
            name,
            {
                "job_id": job_id,
                "org_id": org_id,
                "object_id": object_id,
                "domain_ref": domain_ref,
                "last_error": last_error,
            },
        )


def merge_columns(*parts: Columns) -> dict[str, tuple[str, ...]]:
    """The union of several table/column requirements, columns in first-seen order."""
    merged: dict[str, list[str]] = {}
    for part in parts:
        for table, columns in part.items():
            seen = merged.setdefault(table, [])
            seen.extend(c for c in columns if c not in seen)
    return {table: tuple(columns) for table, columns in merged.items()}


class Registry:
    """The job types, checked when built: unique names, known queues, declared follow-ups."""

    def __init__(self, types: Iterable[JobType]) -> None:
        self._types: dict[str, JobType] = {}
        for spec in types:
            if spec.name in self._types:
                raise ValueError(f"job type {spec.name!r} is declared twice")
            if spec.queue not in QUEUES:
                raise ValueError(f"job type {spec.name!r} has unknown queue {spec.queue!r}")
            self._types[spec.name] = spec
        for spec in self._types.values():
            for followup in spec.followups:
                if self._types.get(followup.job_type.name) is not followup.job_type:
                    raise ValueError(
                        f"job type {spec.name!r} inserts {followup.job_type.name!r}, "
                        "which the registry does not declare"
                    )

    def __getitem__(self, name: str) -> JobType:
        return self._types[name]

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def __iter__(self) -> Iterator[JobType]:
        return iter(self._types.values())

    def get(self, name: str | None) -> JobType | None:
        return self._types.get(name or "")

    @property
    def names(self) -> tuple[str, ...]:
        """Every declared type, implemented or not."""
        return tuple(self._types)

    @property
    def claimable(self) -> tuple[str, ...]:
        """Types ``WORKER_JOB_TYPES`` may list."""
        return tuple(t.name for t in self if t.implemented)

    @property
    def default_claimed(self) -> tuple[str, ...]:
        """The default ``WORKER_JOB_TYPES``: every implemented type that is not test-only."""
        return tuple(t.name for t in self if t.implemented and not t.test_only)

    @property
    def followup_types(self) -> tuple[str, ...]:
        """The default ``WORKER_FOLLOWUP_JOBS``: every gated follow-up some type may insert."""
        names = {f.job_type.name for t in self for f in t.followups if f.gated}
        return tuple(n for n in self._types if n in names)

    @property
    def queues(self) -> tuple[str, ...]:
        """Queues served by the implemented types (the worker's consumers)."""
        used = {t.queue for t in self if t.implemented}
        return tuple(q for q in QUEUES if q in used)

    def routes(self, job_types: Iterable[str]) -> list[dict[str, str]]:
        """The bridge's routing table for the claimed types: ``[{job_type, queue, actor}]``."""
        return [
            {"job_type": n, "queue": self[n].queue, "actor": self[n].actor_name} for n in job_types
        ]

    def domain_refs(self) -> dict[str, list[str]]:
        """``{job_type: [sources]}``: the rule the SQL uses to find a job's domain row id."""
        return {t.name: list(t.domain.ref) for t in self if t.domain is not None}

    def required_columns(self, job_types: Iterable[str], core: Columns) -> dict[str, Any]:
        """Tables and columns the claimed types and the core need."""
        return merge_columns(core, *(self[n].tables for n in job_types))

    def required_unique_indexes(
        self, job_types: Iterable[str], core: Sequence[tuple[str, tuple[str, ...]]]
    ) -> list[tuple[str, tuple[str, ...]]]:
        found: list[tuple[str, tuple[str, ...]]] = list(core)
        for name in job_types:
            found.extend(i for i in self[name].unique_indexes if i not in found)
        return found
