"""The bad-input corpus (issue 5, item 2): malformed jobs through the real pipeline.

Every case plants its own org, domain rows and job (inserted as the backend does), then ONE bridge
and ONE ``dramatiq`` worker process run the whole corpus. A bad input must end ``dead_letter`` at
once (``attempts = 1``) with a clear ``<ErrorKind>: <human message>`` (contract §4.4), no stack
trace and no parameter value echoed (in ``last_error``, new log entries or stdout, §3.1), its domain
row ``failed`` (§4.8), and no other row of the database changed. A few hostile inputs are not
errors by contract (positive controls): they must complete, and store or render text literally.
Afterwards the worker must still be alive and run a valid ``noop`` and a valid ``model_run``.

The cases run together, so findings are collected per case and reported at the end as
``case id → what went wrong``.
"""

from __future__ import annotations

from collections.abc import Callable

from app.db import Database
from tests.bad_input import cases_chain, cases_data, cases_original, cases_sheets
from tests.bad_input.harness import run_corpus
from tests.conftest import Proc

#: Every group's cases (each ``tests/bad_input/cases_*.py`` module adds its own).
CASES = (*cases_original.CASES, *cases_data.CASES, *cases_chain.CASES, *cases_sheets.CASES)


def test_every_malformed_job_dead_letters_once_with_a_clear_error_and_changes_nothing_else(
    db: Database, env: dict[str, str], spawn: Callable[..., Proc]
) -> None:
    run_corpus(db, env, spawn, CASES)
