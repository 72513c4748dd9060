"""The worker service's launcher (``python -m app.launcher``) and worker process ids, unit-level:
what it passes to dramatiq, and the timeout rule it enforces."""

from __future__ import annotations

import os

import pytest

from app.launcher import dramatiq_argv, parser, shutdown_timeout_problem
from app.settings import Settings
from app.worker import int_option, worker_process_id

URL = "postgresql://db/app"


def _settings(**env: str) -> Settings:
    return Settings.from_env({"DATABASE_URL": URL, **env})


def test_threads_default_to_worker_concurrency_and_the_forced_stop_comes_after_the_graceful_one():
    settings = _settings(WORKER_CONCURRENCY="6", WORKER_GRACEFUL_SHUTDOWN_TIMEOUT="40")
    args, rest = parser().parse_known_args(["--processes", "2", "--verbose"])
    assert dramatiq_argv(args, rest, settings) == [
        "actors",
        "--processes",
        "2",
        "--threads",
        "6",
        "--worker-shutdown-timeout",
        "50000",
        "--verbose",  # anything else goes to dramatiq as it is
    ]


def test_explicit_threads_and_queues_win():
    args, rest = parser().parse_known_args(["-t", "3", "--queues", "exports", "default"])
    argv = dramatiq_argv(args, rest, _settings(WORKER_CONCURRENCY="6"))
    assert argv[argv.index("--threads") + 1] == "3"
    assert argv[argv.index("--queues") + 1 :] == ["exports", "default"]


@pytest.mark.parametrize(
    ("graceful", "timeout_ms", "fits"),
    [("40", 50_000, True), ("50", 50_000, False), ("180", 20_000, False), ("0", 1, True)],
)
def test_the_graceful_timeout_must_end_before_dramatiqs(graceful, timeout_ms, fits):
    problem = shutdown_timeout_problem(
        _settings(WORKER_GRACEFUL_SHUTDOWN_TIMEOUT=graceful), timeout_ms
    )
    assert (problem is None) is fits


@pytest.mark.parametrize(
    ("configured", "kept"),
    [
        ("worker-host-{pid}-1764630000", True),  # the default, made in this very process
        ("svc-{pid}", True),
        ("worker-host-4242-1764630000", False),  # the launcher's instance prefix
        ("chaos0", False),  # a service's WORKER_ID
    ],
)
def test_each_worker_process_gets_an_id_of_its_own(configured, kept):
    pid = os.getpid()
    settings = _settings(WORKER_ID=configured.format(pid=pid))
    expected = settings.worker_id if kept else f"{settings.worker_id}-{pid}"
    assert worker_process_id(settings) == expected


def test_a_pid_inside_another_number_is_not_taken_for_this_process():
    pid = os.getpid()
    settings = _settings(WORKER_ID=f"worker-host-9{pid}9-1")  # contains the pid's digits
    assert worker_process_id(settings) == f"{settings.worker_id}-{pid}"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["actors", "--processes", "3", "--threads", "8"], 3),
        (["actors", "-p", "2"], 2),
        (["actors", "--processes=5"], 5),
        (["actors", "--threads", "8"], 7),  # not given: the default
    ],
)
def test_the_health_server_reads_the_process_count_its_dramatiq_was_started_with(argv, expected):
    assert int_option(argv, "--processes", "-p", 7) == expected
