"""The console's actions (POST, CSRF-checked): retry, cancel, bulk requeue of dead letters, and
pausing or resuming a job type or queue.

Each asks first: a POST without ``confirmed=yes`` answers with a confirmation page that repeats
the same form (and a fresh CSRF token) with a Confirm button. Done, it redirects (303) back
with a one-line message. Every value comes from the form body, never the URL.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request

from app.console.actions import PauseKind
from app.console.jobs_list import FilterError, JobFilters
from app.console.views import DEAD_SINCE_CHOICES, can_act, views
from app.console.web import services
from app.jobtypes import QUEUES, REGISTRY

#: A path of this console: one slash, then only URL characters (no scheme, host or whitespace).
_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9_\-./?=&%:+~]*")


@dataclass(frozen=True)
class Confirm:
    """What the confirmation page shows and repeats."""

    title: str
    question: str
    fields: dict[str, str]
    button: str
    back: str
    destructive: bool = False  # the button is red (cancel, pause)


def _field(name: str, *, required: bool = True) -> str:
    value = (request.form.get(name) or "").strip()
    if (required and not value) or len(value) > 400:
        abort(400)
    return value


def _job_id() -> str:
    try:
        return str(uuid.UUID(_field("job_id")))
    except ValueError:
        abort(400)


def _since(name: str = "since") -> tuple[str, dt.datetime]:
    text = _field(name)
    if text not in DEAD_SINCE_CHOICES:
        abort(400)
    since = JobFilters(since=text).since_at(dt.datetime.now(dt.UTC))
    assert since is not None
    return text, since


def _back(default: str) -> str:
    """Where to return: a path of this console only (never another host, however spelled)."""
    target = request.form.get("next") or default
    return target if _LOCAL_PATH.fullmatch(target) else default


def _act(confirm: Confirm, perform: Callable[[], str]) -> Response | tuple[str, int]:
    if not can_act():
        return render_template(
            "message.html",
            title="Read-only console",
            message="This console's database role may read but not change jobs.",
        ), 403
    if request.form.get("confirmed") != "yes":
        return render_template("confirm.html", c=confirm), 200
    flash(perform())
    services()["reader"].forget_overview()
    return redirect(confirm.back, code=303)  # type: ignore[return-value]


@views.post("/actions/retry")
def retry() -> Any:
    job_id = _job_id()
    back = _back(f"/jobs/{job_id}")

    def perform() -> str:
        rows = services()["actions"].retry([job_id], g.actor)
        return f"Job {job_id} requeued." if rows else f"Job {job_id} was not requeued (not ended)."

    return _act(
        Confirm(
            "Requeue job",
            f"Requeue job {job_id}? It goes back to queued with attempts reset, as the "
            "backend's admin requeue does.",
            {"job_id": job_id, "next": back},
            "Requeue",
            back,
        ),
        perform,
    )


@views.post("/actions/cancel")
def cancel() -> Any:
    job_id = _job_id()
    back = _back(f"/jobs/{job_id}")

    def perform() -> str:
        status = services()["actions"].cancel(job_id, g.actor)
        if status is None:
            return f"Job {job_id} had already ended; nothing changed."
        if status == "running":
            return f"Cancel requested: job {job_id} stops at its next safe point."
        return f"Job {job_id} cancelled."

    return _act(
        Confirm(
            "Cancel job",
            f"Cancel job {job_id}? A waiting job ends now; a running one stops at its next safe "
            "point.",
            {"job_id": job_id, "next": back},
            "Cancel the job",
            back,
            destructive=True,
        ),
        perform,
    )


@views.post("/actions/requeue-group")
def requeue_group() -> Any:
    job_type, pattern = _field("job_type", required=False), _field("pattern", required=False)
    since_text, since = _since()
    count = _field("count")
    back = _back(f"/dead?since={since_text}")

    def perform() -> str:
        n = services()["actions"].requeue_group(job_type, pattern, since, g.actor)
        return f"Requeued {n} dead-lettered {job_type} job(s)."

    return _act(
        Confirm(
            "Requeue dead letters",
            f"Requeue the {count} dead-lettered {job_type} job(s) of the last {since_text} that "
            f"failed with: {pattern}",
            {
                "job_type": job_type,
                "pattern": pattern,
                "since": since_text,
                "count": count,
                "next": back,
            },
            "Requeue them",
            back,
        ),
        perform,
    )


@views.post("/actions/requeue-dead")
def requeue_dead() -> Any:
    job_type = _field("job_type")
    since_text, since = _since()
    back = _back(f"/dead?since={since_text}")

    def perform() -> str:
        n = services()["actions"].requeue_dead_since(job_type, since, g.actor)
        return f"Requeued {n} dead-lettered {job_type} job(s)."

    return _act(
        Confirm(
            "Requeue dead letters",
            f"Requeue every dead-lettered {job_type} job of the last {since_text}?",
            {"job_type": job_type, "since": since_text, "next": back},
            "Requeue them",
            back,
        ),
        perform,
    )


def _pause_target() -> tuple[PauseKind, str]:
    try:
        kind = PauseKind(_field("kind"))
    except ValueError:
        abort(400)
    name = _field("name")
    try:
        JobFilters.parse({"type" if kind is PauseKind.JOB_TYPE else "queue": name})
    except FilterError:
        abort(400)
    if kind is PauseKind.QUEUE and name not in QUEUES:
        abort(400)
    if kind is PauseKind.JOB_TYPE and name not in REGISTRY.claimable:
        abort(400)  # the bridge dispatches only the types this worker runs
    return kind, name


@views.post("/actions/pause")
def pause() -> Any:
    return _pause_or_resume(resume=False)


@views.post("/actions/resume")
def resume() -> Any:
    return _pause_or_resume(resume=True)


def _pause_or_resume(*, resume: bool) -> Any:
    kind, name = _pause_target()
    what = f"{'job type' if kind is PauseKind.JOB_TYPE else 'queue'} {name}"
    verb = "Resume" if resume else "Pause"

    def perform() -> str:
        actions = services()["actions"]
        changed = (actions.resume if resume else actions.pause)(kind, name, g.actor)
        if changed:
            return f"{verb}d {what}."
        return f"{what.capitalize()} was {'not' if resume else 'already'} paused."

    effect = (
        "The bridge dispatches its waiting jobs again."
        if resume
        else "The bridge stops dispatching its jobs; jobs already running finish."
    )
    return _act(
        Confirm(
            verb,
            f"{verb} {what}? {effect}",
            {"kind": kind.value, "name": name, "next": _back("/")},
            verb,
            _back("/"),
            destructive=not resume,
        ),
        perform,
    )
