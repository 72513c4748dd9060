"""``python -m app``: ``demo`` (embedded default, sample jobs), ``run`` (bridge + worker against
DATABASE_URL), ``jobs`` (operator commands)."""

from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run sample jobs on an embedded PostgreSQL; no setup needed")
    run = sub.add_parser("run", help="run a bridge and a worker against DATABASE_URL")
    run.add_argument("--threads", type=int, default=4, help="dramatiq threads (default 4)")
    from app import operator_cli

    operator_cli.add_parser(sub)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")

    if args.command == "jobs":
        from app.settings import settings_or_exit

        return operator_cli.run(args, settings_or_exit())
    if args.command == "demo":
        from app.devtools import demo

        return demo.demo()
    from app.devtools import processes

    return processes.run(args.threads)


if __name__ == "__main__":
    sys.exit(main())
