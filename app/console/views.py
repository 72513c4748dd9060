"""The console's pages (GET): overview, jobs, job detail, dead letters, the export download and
the health check. Actions (POST) are in :mod:`app.console.forms`."""

from __future__ import annotations

import datetime as dt
import io
import logging
import uuid
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, send_file

from app.console import charts
from app.console.jobs_list import SINCE_CHOICES, Cursor, FilterError, JobFilters
from app.console.web import services
from app.job import TERMINAL_STATUSES, JobStatus
from app.jobtypes import QUEUES, REGISTRY
from app.logging_setup import log_event
from app.storage import S3ObjectStore, export_content_type, make_object_store

logger = logging.getLogger(__name__)
views = Blueprint("console", __name__)

DEAD_SINCE_DEFAULT = "7d"
#: Chart widths in SVG units: the width of the page's content, so text keeps its size.
BARS_WIDTH = 1180
FAN_WIDTH = 1180
DEAD_SINCE_CHOICES = ("1h", "24h", "7d", "30d")


def can_act() -> bool:
    """Whether this console's database role may change jobs (asked once, then remembered)."""
    found = services()
    if found["can_act"] is None:
        found["can_act"] = found["reader"].can_act()
    return bool(found["can_act"])


@views.app_context_processor
def shared() -> dict[str, Any]:
    return {
        "can_act": can_act,
        "refresh_s": services()["settings"].refresh_s,
        "pausable": REGISTRY.claimable,
    }


@views.app_template_filter("when")
def when(value: Any, short: bool = False) -> str:
    """A moment in UTC, to the second (``short``: without the year and the zone)."""
    if value is None:
        return ""
    if not isinstance(value, dt.datetime):
        return str(value)
    return value.astimezone(dt.UTC).strftime("%m-%d %H:%M:%S" if short else "%Y-%m-%d %H:%M:%S UTC")


@views.app_template_filter("duration")
def duration(seconds: float) -> str:
    """A length of time an operator reads at a glance: 42 s, 7 min, 3.5 h, 2.0 d."""
    s = float(seconds)
    if s < 90:
        return f"{s:.0f} s"
    if s < 90 * 60:
        return f"{s / 60:.0f} min"
    if s < 48 * 3600:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} d"


@views.get("/healthz")
def health() -> Response:
    try:
        ok = services()["reader"].healthy()
    except Exception as exc:  # any trouble means unavailable; the reason goes to the log only
        log_event(logger, logging.WARNING, "console_unhealthy", error=type(exc).__name__)
        ok = False
    return Response("ok\n" if ok else "unavailable\n", 200 if ok else 503, mimetype="text/plain")


@views.get("/")
def overview() -> str:
    return render_template("overview.html", **_overview_context())


@views.get("/overview/live")
def overview_live() -> str:
    return render_template("_overview_live.html", **_overview_context())


def _overview_context() -> dict[str, Any]:
    data = services()["reader"].overview()
    bars, peak = charts.minute_bars(data.throughput, width=BARS_WIDTH)
    statuses = [s.value for s in JobStatus if s is not JobStatus.DONE]
    totals = {
        "running": sum(n for (_, status), n in data.counts.items() if status == "running"),
        "completed": sum(m["completed"] for m in data.throughput),
        "dead_letter": sum(m["dead_letter"] for m in data.throughput),
        "cancelled": sum(m["cancelled"] for m in data.throughput),
    }
    return {
        "bars_width": BARS_WIDTH,
        "o": data,
        "statuses": statuses,
        "bars": bars,
        "peak": peak,
        "totals": totals,
        "overview_refresh_s": services()["settings"].overview_refresh_s,
    }


@views.get("/jobs")
def jobs() -> tuple[str, int]:
    reader = services()["reader"]
    try:
        filters = JobFilters.parse(request.args)
        cursor = Cursor.decode(request.args.get("before"))
    except FilterError as exc:
        return _jobs_form(JobFilters(), error=str(exc)), 400
    page = reader.jobs_page(filters, cursor)
    return _jobs_form(filters, page=page, cursor=cursor), 200


def _jobs_form(filters: JobFilters, **extra: Any) -> str:
    present = services()["reader"].job_types_present()
    return render_template(
        "jobs.html",
        f=filters,
        args=filters.query_args(),
        types=sorted(set(present) | set(REGISTRY.names)),
        statuses=[s.value for s in JobStatus],
        queues=QUEUES,
        since_choices=SINCE_CHOICES,
        **extra,
    )


@views.get("/jobs/<uuid:job_id>")
def job(job_id: uuid.UUID) -> str:
    return render_template("job.html", **_job_context(job_id))


@views.get("/jobs/<uuid:job_id>/live")
def job_live(job_id: uuid.UUID) -> Response:
    """The job page's body (state, result, row, log), refreshed while the job can change. Once it
    has ended the whole page reloads (htmx's ``HX-Refresh``), domain row included, and stops
    refreshing: the domain row is read on page loads only (some types find it by a scan)."""
    context = _job_context(job_id, domain=False)
    body = render_template("_job_body.html", **context)
    log = render_template("_job_log.html", **context, oob=True)  # swapped in place, out of band
    response = Response(body + log)
    if not context["live"] and request.headers.get("HX-Request") == "true":
        response.headers["HX-Refresh"] = "true"
    return response


def _job_context(job_id: uuid.UUID, *, domain: bool = True) -> dict[str, Any]:
    found = services()["reader"].job(str(job_id), domain=domain)
    if found is None:
        abort(404)
    mc = found["simulation"]
    fan = charts.fan_chart(mc["months"] or [], mc["series"] or {}, width=FAN_WIDTH) if mc else None
    return {**found, "fan": fan, "live": _live(found["job"])}


def _live(row: dict[str, Any]) -> bool:
    """Keep refreshing while the job can still change."""
    try:
        return JobStatus(row["status"]) not in TERMINAL_STATUSES
    except ValueError:
        return False


@views.get("/jobs/<uuid:job_id>/download")
def download(job_id: uuid.UUID) -> Response:
    """The export's file: a short-lived presigned S3 link, or the bytes kept in the database."""
    settings = services()["settings"]
    row = services()["reader"].export_file(str(job_id))
    if row is None or row["status"] != "completed":
        abort(404)
    try:
        content_type = export_content_type(row["type"])
    except ValueError:
        content_type = "application/octet-stream"
    name = f"export-{row['id']}.{row['type'] if row['type'] != 'memo' else 'pdf'}"
    if row["s3_key"]:
        store = make_object_store(
            settings.base.s3_bucket, settings.base.aws_region, settings.base.s3_endpoint_url
        )
        if not isinstance(store, S3ObjectStore):
            abort(404)  # the file is in S3, but this console has no bucket configured
        link = store.download_link(row["s3_key"], expires_s=settings.link_ttl_s, file_name=name)
        return redirect(link, code=303)  # type: ignore[return-value]
    if row["file_data"] is None:
        abort(404)
    return send_file(
        io.BytesIO(bytes(row["file_data"])),
        mimetype=content_type,
        as_attachment=True,
        download_name=name,
        max_age=0,
    )


@views.get("/dead")
def dead() -> tuple[str, int]:
    since_text = request.args.get("since") or DEAD_SINCE_DEFAULT
    if since_text not in DEAD_SINCE_CHOICES:
        since_text = DEAD_SINCE_DEFAULT
    since = JobFilters(since=since_text).since_at(dt.datetime.now(dt.UTC))
    groups = services()["reader"].dead_groups(since)
    return render_template(
        "dead.html", groups=groups, since=since_text, since_choices=DEAD_SINCE_CHOICES
    ), 200
