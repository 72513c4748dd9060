"""``python -m app``: ``demo`` (embedded default, sample jobs), ``run`` (bridge + worker against
DATABASE_URL), ``jobs`` (operator commands), ``dev-schema`` (the dev tables on an empty
database), ``console`` (the operator console on the web)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    from app import operator_cli
    from app.cli import add_json_flag

    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser(
        "demo",
        help="run sample jobs on an embedded PostgreSQL; no setup needed",
        description="Start an embedded PostgreSQL under .data/, a bridge and a worker, run "
        "sample jobs of every type and print their outcomes.",
    )
    run = sub.add_parser(
        "run",
        help="run a bridge and a worker against DATABASE_URL, supervised, until Ctrl-C",
        description="Run a bridge and a dramatiq worker against DATABASE_URL until Ctrl-C or "
        "SIGTERM; restarts a child that dies; running jobs finish or are released at stop.",
    )
    run.add_argument(
        "--threads", type=int, default=None, help="dramatiq threads (default WORKER_CONCURRENCY)"
    )
    run.add_argument(
        "--log-dir", type=Path, default=None, help="where bridge.log and worker.log are appended"
    )
    operator_cli.add_parser(sub)
    dev = sub.add_parser(
        "dev-schema",
        help="DEV ONLY: create the backend's tables on an empty DATABASE_URL",
        description="DEV ONLY: put the dev copy of the backend's tables (and the worker's "
        "dramatiq schema) on your own empty database, named by DATABASE_URL. Refuses a "
        "database that already has any of those tables; in production the backend's "
        "migrations own them.",
    )
    add_json_flag(dev, top=True)
    sub.add_parser(
        "console",
        help="the operator console on the web (README, Operations)",
        description="Serve the operator console (overview, jobs, dead letters, actions) until "
        "SIGTERM; it needs CONSOLE_TOKEN or CONSOLE_USER and CONSOLE_PASSWORD.",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")

    if args.command == "jobs":
        from app import operator_cli
        from app.settings import settings_or_exit

        return operator_cli.run(args, settings_or_exit())
    if args.command == "console":
        from app.console.server import main as console

        return console()
    if args.command == "dev-schema":
        from app.devtools import dev_schema

        return dev_schema.command(as_json=args.json)
    if args.command == "demo":
        from app.devtools import demo

        return demo.demo()
    from app import supervisor

    return supervisor.run(args.threads, args.log_dir)


if __name__ == "__main__":
    sys.exit(main())
