"""dramatiq's Prometheus metrics, served together with the instance's health (issue 9.9).

dramatiq's own exposition server (a process forked by the dramatiq main process) answers
``/metrics`` whatever the worker processes do, so a health check on it says only that the
exporter runs. :class:`WorkerPrometheus` forks this module's server instead: the same
``/metrics`` (dramatiq's multiprocess collector, on ``dramatiq_prom_host:dramatiq_prom_port``)
and a ``/healthz`` that answers 200 only while every worker process of this instance is serving:
booted (its worker threads started), heartbeating within ``WORKER_PRESENCE_SECONDS``, holding
its liveness lock (:mod:`app.liveness`) and not shutting down. The instance is the worker
processes that share this server's parent (the dramatiq main process) on this host.
"""

from __future__ import annotations

import os
import socket
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from dramatiq.middleware import Prometheus
from dramatiq.middleware.prometheus import DB_PATH, HTTP_HOST, HTTP_PORT

from app.db import Database


class WorkerPrometheus(Prometheus):
    """dramatiq's Prometheus middleware, with the server of this module as its fork."""

    @property
    def forks(self) -> list[Any]:
        return [serve_metrics_and_health]


class InstanceHealth:
    """Whether every worker process of this dramatiq instance is serving."""

    def __init__(self, db: Database, *, presence_s: float, expected: int) -> None:
        self.db = db
        self.presence_s = presence_s
        self.expected = expected
        self.hostname = socket.gethostname()
        self.parent_pid = os.getppid()

    def check(self) -> tuple[bool, str]:
        try:
            row = self.db.run(
                "worker_instance_health",
                {
                    "hostname": self.hostname,
                    "parent_pid": self.parent_pid,
                    "presence_s": self.presence_s,
                },
            )[0]
        except Exception as exc:
            return False, f"unhealthy: database: {type(exc).__name__}\n"
        serving, threads = row["serving"], row["threads"]
        text = f"{serving} of {self.expected} worker processes serving ({threads} threads)"
        if serving >= self.expected:
            return True, f"ok: {text}\n"
        return False, f"unhealthy: {text}\n"


class _Handler(BaseHTTPRequestHandler):
    health: InstanceHealth

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path.startswith("/healthz"):
            ok, why = type(self).health.check()
            body, code, ctype = why.encode(), (200 if ok else 503), "text/plain"
        elif self.path.startswith("/metrics"):
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = DB_PATH
            import prometheus_client as prom  # after the variable is set, as dramatiq does
            from prometheus_client import multiprocess

            registry = prom.CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=DB_PATH)
            body, code, ctype = prom.generate_latest(registry), 200, prom.CONTENT_TYPE_LATEST
        else:
            body, code, ctype = b"not found", 404, "text/plain"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: probes are not news
        return


def serve_metrics_and_health() -> int:
    """The fork process: serve ``/metrics`` and ``/healthz`` until it is stopped."""
    from app.settings import Settings
    from app.worker import int_option

    settings = Settings.from_env()
    db = Database(settings.database, max_connections=2, application_name="finapilot-health")
    health = InstanceHealth(
        db,
        presence_s=settings.worker_presence_s,
        expected=int_option(sys.argv, "--processes", "-p", os.cpu_count() or 1),
    )
    handler = type("WorkerHealthHandler", (_Handler,), {"health": health})
    server = ThreadingHTTPServer((HTTP_HOST, HTTP_PORT), handler)
    server.daemon_threads = True
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.shutdown()
    return 0
