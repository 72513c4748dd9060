"""``python -m bridge``: run the bridge; ``trigger install|remove|status``; ``health``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import urllib.error
import urllib.request
from typing import Any

import psycopg2

from app.cli import add_json_flag, database_error_line, port, print_json, run_guarded
from app.db import Database
from app.logging_setup import configure_logging
from app.schema import notify_trigger_installed, set_notify_trigger
from app.settings import Settings, settings_or_exit
from app.startup import announce, check_actor_modules_or_exit, check_or_exit
from bridge.loop import BridgeLoop
from bridge.metrics import BridgeMetrics, serve

logger = logging.getLogger("bridge")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bridge", description=__doc__)
    add_json_flag(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser(
        "run",
        help="run the bridge (the default)",
        description="Run the bridge until SIGTERM or Ctrl-C: claim due jobs into dramatiq-pg "
        "within the live workers' capacity, reap jobs whose worker died, purge finished "
        "messages, serve /metrics and /healthz on BRIDGE_METRICS_PORT. --json logs one JSON "
        "object per line (as LOG_FORMAT=json).",
    )
    add_json_flag(run)
    trig = sub.add_parser(
        "trigger",
        help="the optional NOTIFY trigger on jobs (operator command)",
        description="Install, remove or report the optional NOTIFY trigger on the backend's "
        "jobs table, which wakes the bridge at once on a new job (without it the bridge polls "
        "every WORKER_POLL_INTERVAL_SECONDS). It is the only object the worker ever puts on a "
        "backend table, and only by this command.",
    )
    trig.add_argument("action", choices=["install", "remove", "status"])
    add_json_flag(trig)
    health = sub.add_parser(
        "health",
        help="exit 0 if the running bridge and the database are healthy",
        description="Check that the database answers and that the bridge on this host reports "
        "a recent successful loop on its /healthz; exit 0 when both hold, 1 otherwise.",
    )
    health.add_argument("--port", type=port, default=None, help="the bridge's metrics port")
    add_json_flag(health)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = settings_or_exit()
    if args.json and args.command in (None, "run"):
        settings = settings.replace(log_format="json")
    configure_logging(settings)
    db = Database(settings.database, max_connections=4, application_name="finapilot-bridge")
    try:
        if args.command == "trigger":
            return run_guarded(lambda: _trigger(db, args.action, args.json), settings.database)
        if args.command == "health":
            port_ = args.port or settings.bridge_metrics_port
            return run_guarded(lambda: _health(db, settings, port_, args.json))
        return _run(db, settings)
    finally:
        db.close()


def _run(db: Database, settings: Settings) -> int:
    bridge_id = settings.worker_id.replace("worker-", "bridge-", 1)
    announce(settings, worker_id=bridge_id, concurrency=settings.worker_concurrency)
    check_actor_modules_or_exit(settings)
    check_or_exit(db, settings)
    metrics = BridgeMetrics()
    loop = BridgeLoop(db, settings, metrics)
    if settings.bridge_metrics_port:
        try:
            serve(metrics, loop.health, settings.bridge_metrics_port)
        except OSError as exc:
            logger.error(
                "❌ Cannot serve metrics on port %d: %s (BRIDGE_METRICS_PORT; 0 turns it off)",
                settings.bridge_metrics_port,
                exc.strerror or exc,
            )
            return 1
        logger.info("📈 Metrics on :%d/metrics", settings.bridge_metrics_port)
    logger.info(
        "🔔 NOTIFY trigger %s",
        "installed" if notify_trigger_installed(db) else "not installed (polling)",
    )

    def on_signal(signum: int, frame: object) -> None:
        logger.info("🛑 Received signal %d, initiating graceful shutdown...", signum)
        loop.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    loop.startup_reap()
    loop.run()
    logger.info("✅ Worker shutdown complete")
    return 0


def _trigger(db: Database, action: str, as_json: bool) -> int:
    if action != "status":
        set_notify_trigger(db, install=action == "install")
    installed = notify_trigger_installed(db)
    if as_json:
        print_json({"trigger": "installed" if installed else "not installed"}, sys.stdout)
    elif action == "status":
        print("installed" if installed else "not installed")
    else:
        print(f"NOTIFY trigger {'installed' if installed else 'removed'}")
    return 0


def _health(db: Database, settings: Settings, port_: int, as_json: bool) -> int:
    doc: dict[str, Any] = {"healthy": False, "database": "ok", "bridge": None}
    try:
        db.run("db_ping")
    except psycopg2.Error as exc:
        doc["database"] = database_error_line(exc, settings.database).removeprefix("❌ ")
        return _verdict(doc, f"unhealthy: database: {doc['database']}", as_json)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port_}/healthz", timeout=5) as resp:
            doc["bridge"] = resp.read().decode().strip()
            doc["healthy"] = True
    except urllib.error.HTTPError as exc:  # 503: the bridge answers but its loop is stuck
        doc["bridge"] = exc.read().decode().strip() or str(exc)
    except OSError as exc:
        reason = getattr(exc, "reason", None) or exc
        doc["bridge"] = f"no bridge answers on 127.0.0.1:{port_} ({reason})"
    text = doc["bridge"] if doc["healthy"] else f"unhealthy: bridge: {doc['bridge']}"
    return _verdict(doc, text, as_json)


def _verdict(doc: dict[str, Any], text: str, as_json: bool) -> int:
    if as_json:
        print_json(doc, sys.stdout)
    else:
        print(text)
    return 0 if doc["healthy"] else 1


if __name__ == "__main__":
    sys.exit(main())
