"""The bridge's Prometheus metrics and its HTTP endpoint (``/metrics``, ``/healthz``).

Labels are job type, queue, status and state only: never an org, a user or an id.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)


class BridgeMetrics:
    """Every metric the bridge exports, on a registry of its own."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.jobs = Gauge(
            "finapilot_jobs",
            "Jobs of the claimed types by status.",
            ["job_type", "queue", "status"],
            registry=r,
        )
        self.oldest_due = Gauge(
            "finapilot_oldest_due_job_age_seconds",
            "Age of the oldest runnable job not yet claimed.",
            registry=r,
        )
        self.claimed = Counter(
            "finapilot_bridge_claimed",
            "Jobs claimed and handed to dramatiq.",
            ["job_type"],
            registry=r,
        )
        self.reaped = Counter(
            "finapilot_bridge_reaped",
            "Jobs recovered by the reaper.",
            ["job_type", "outcome"],
            registry=r,
        )
        self.window_size = Gauge(
            "finapilot_bridge_window_size",
            "Messages allowed outstanding per dramatiq queue.",
            ["queue"],
            registry=r,
        )
        self.window_in_use = Gauge(
            "finapilot_bridge_window_in_use",
            "Messages outstanding (queued or consumed) per dramatiq queue.",
            ["queue"],
            registry=r,
        )
        self.messages = Gauge(
            "finapilot_dramatiq_messages",
            "Rows of dramatiq-pg's table.",
            ["queue", "state"],
            registry=r,
        )
        self.advisory_locks = Gauge(
            "finapilot_postgres_advisory_locks", "Advisory locks held on the server.", registry=r
        )
        self.loop_ok = Gauge(
            "finapilot_bridge_last_loop_timestamp_seconds",
            "Unix time of the last loop iteration that reached the database.",
            registry=r,
        )
        self.db_errors = Counter(
            "finapilot_bridge_db_errors", "Loop iterations that failed.", registry=r
        )
        self.unserved = Gauge(
            "finapilot_jobs_unserved",
            "Jobs waiting (queued or retrying) of a claimed type that no live worker serves.",
            ["job_type"],
            registry=r,
        )
        self.workers_lost = Counter(
            "finapilot_bridge_workers_lost",
            "Worker processes found dead by their lost database session (jobs given back).",
            registry=r,
        )

    def observe_stats(self, stats: dict[str, Any]) -> None:
        self.jobs.clear()
        for row in stats["jobs"]:
            self.jobs.labels(row["job_type"], row["queue"], row["status"]).set(row["n"])
        self.oldest_due.set(stats["oldest_due_s"])
        self.messages.clear()
        for row in stats["messages"]:
            self.messages.labels(row["queue_name"], row["state"]).set(row["n"])
        self.advisory_locks.set(stats["advisory_locks"])
        self.unserved.clear()
        for row in stats.get("unserved", ()):
            self.unserved.labels(row["job_type"]).set(row["waiting"])


class _Handler(BaseHTTPRequestHandler):
    metrics: BridgeMetrics
    healthy: Callable[[], tuple[bool, str]]

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.startswith("/metrics"):
            body, code, ctype = generate_latest(self.metrics.registry), 200, CONTENT_TYPE_LATEST
        elif self.path.startswith("/healthz"):
            ok, why = type(self).healthy()
            body, code, ctype = why.encode(), (200 if ok else 503), "text/plain"
        else:
            body, code, ctype = b"not found", 404, "text/plain"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: scrapes are not news
        return


def serve(
    metrics: BridgeMetrics,
    healthy: Callable[[], tuple[bool, str]],
    port: int,
    host: str = "0.0.0.0",
) -> ThreadingHTTPServer:
    """Serve ``/metrics`` and ``/healthz`` on a daemon thread."""
    handler = type(
        "BridgeHandler", (_Handler,), {"metrics": metrics, "healthy": staticmethod(healthy)}
    )
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="bridge-metrics", daemon=True).start()
    return server
