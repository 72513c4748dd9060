"""``python -m bridge``: run the bridge; ``trigger install|remove|status``; ``health``."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import urllib.request

from app.db import Database
from app.logging_setup import configure_logging
from app.schema import notify_trigger_installed, set_notify_trigger
from app.settings import settings_or_exit
from app.startup import announce, check_actor_modules_or_exit, check_or_exit
from bridge.loop import BridgeLoop
from bridge.metrics import BridgeMetrics, serve

logger = logging.getLogger("bridge")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bridge", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bridge (the default)")
    trig = sub.add_parser("trigger", help="the optional NOTIFY trigger on jobs (operator command)")
    trig.add_argument("action", choices=["install", "remove", "status"])
    health = sub.add_parser(
        "health", help="exit 0 if the running bridge and the database are healthy"
    )
    health.add_argument("--port", type=int, default=None, help="the bridge's metrics port")
    args = parser.parse_args(argv)

    settings = settings_or_exit()
    configure_logging(settings)
    db = Database(settings.database, max_connections=4, application_name="finapilot-bridge")
    if args.command == "trigger":
        return _trigger(db, args.action)
    if args.command == "health":
        return _health(db, args.port or settings.bridge_metrics_port)

    bridge_id = settings.worker_id.replace("worker-", "bridge-", 1)
    announce(settings, worker_id=bridge_id, concurrency=settings.worker_concurrency)
    check_actor_modules_or_exit(settings)
    check_or_exit(db, settings)
    metrics = BridgeMetrics()
    loop = BridgeLoop(db, settings, metrics)
    if settings.bridge_metrics_port:
        serve(metrics, loop.health, settings.bridge_metrics_port)
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
    db.close()
    logger.info("✅ Worker shutdown complete")
    return 0


def _trigger(db: Database, action: str) -> int:
    if action == "status":
        print("installed" if notify_trigger_installed(db) else "not installed")
        return 0
    set_notify_trigger(db, install=action == "install")
    print(f"NOTIFY trigger {'installed' if action == 'install' else 'removed'}")
    return 0


def _health(db: Database, port: int) -> int:
    try:
        db.run("db_ping")
    except Exception as exc:
        print(f"unhealthy: database: {type(exc).__name__}")
        return 1
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
            print(resp.read().decode().strip())
            return 0
    except Exception as exc:
        print(f"unhealthy: bridge: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
