"""Console fixtures: the application served by waitress on a loopback port (the same server the
process runs), real PostgreSQL behind it, and an HTTP client that logs in and posts forms as a
browser does (session cookie, CSRF token from the page, Origin header)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from flask import Flask
from waitress import wasyncore

from app.console.config import ConsoleSettings
from app.console.server import make_server
from app.console.web import create_app
from app.db import Database
from app.devtools.embedded import free_port
from tests.conftest import ROOT

USER = "alice"
PASSWORD = "correct-horse-battery-staple"
TOKEN = "tok-" + "x" * 28
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"|<meta name="csrf-token" content="([^"]+)"')


@dataclass
class Console:
    """A console served on 127.0.0.1 and what a test needs to talk to it."""

    url: str
    app: Flask
    settings: ConsoleSettings

    def client(self, *, user: str = USER, password: str = PASSWORD) -> Client:
        session = requests.Session()
        session.auth = (user, password)
        return Client(self.url, session)

    def anonymous(self) -> Client:
        return Client(self.url, requests.Session())

    @property
    def reader(self) -> Any:
        return self.app.extensions["console"]["reader"]


@dataclass
class Client:
    url: str
    session: requests.Session

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.session.get(self.url + path, allow_redirects=False, timeout=30, **kw)

    def post(self, path: str, data: dict[str, Any], **kw: Any) -> requests.Response:
        headers = {"Origin": self.url, **kw.pop("headers", {})}
        return self.session.post(
            self.url + path, data=data, headers=headers, allow_redirects=False, timeout=30, **kw
        )

    def csrf_token(self, page: str = "/") -> str:
        """The token a page's forms carry (it belongs to this client's session cookie)."""
        found = _CSRF.search(self.get(page).text)
        assert found, f"no CSRF token on {page}"
        return found.group(1) or found.group(2)

    def act(self, path: str, fields: dict[str, Any], *, page: str = "/") -> requests.Response:
        """Post an action and confirm it, as an operator clicking twice."""
        token = self.csrf_token(page)
        first = self.post(path, {**fields, "csrf_token": token})
        assert first.status_code == 200 and "Recorded with your name" in first.text, first.text
        confirm_token = _CSRF.search(first.text)
        assert confirm_token
        return self.post(
            path,
            {
                **fields,
                "csrf_token": confirm_token.group(1) or confirm_token.group(2),
                "confirmed": "yes",
            },
        )


def console_env(env: dict[str, str], **extra: str) -> dict[str, str]:
    return {
        **env,
        "CONSOLE_USER": USER,
        "CONSOLE_PASSWORD": PASSWORD,
        "CONSOLE_TOKEN": TOKEN,
        "CONSOLE_HOST": "127.0.0.1",
        "CONSOLE_PORT": "0",
        "CONSOLE_COOKIE_SECURE": "false",  # plain HTTP on loopback: requests keeps no Secure cookie
        **extra,
    }


@pytest.fixture
def serve_console() -> Iterator[Callable[..., Console]]:
    """``serve_console(env)``: start a console over the database of ``env``."""
    started: list[tuple[Any, threading.Thread, Database]] = []

    def start(env: dict[str, str], **extra: str) -> Console:
        settings = ConsoleSettings.from_env(console_env(env, **extra))
        db = Database(settings.base.database, max_connections=4, application_name="test-console")
        app = create_app(settings, db)
        server = make_server(app, settings)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        started.append((server, thread, db))
        return Console(f"http://127.0.0.1:{server.effective_port}", app, settings)

    yield start
    for server, thread, db in started:
        # Close every socket from the server's own loop thread (its trigger runs the call
        # there), so the loop ends with an empty map instead of polling closed descriptors.
        server.trigger.pull_trigger(lambda s=server: wasyncore.close_all(s._map))
        thread.join(10)
        server.task_dispatcher.shutdown()
        db.close()


@dataclass
class ConsoleProcess:
    """``python -m app console`` started as production starts it."""

    url: str
    popen: subprocess.Popen[bytes]
    log_path: Any

    def log(self) -> str:
        return str(self.log_path.read_text(errors="replace"))

    def stop(self) -> int:
        """SIGTERM, as Render stops a service; the exit code."""
        if self.popen.poll() is None:
            self.popen.terminate()
        return self.popen.wait(20)


@pytest.fixture
def console_process(env: dict[str, str], tmp_path: Any) -> Iterator[Callable[..., ConsoleProcess]]:
    """``console_process(**env)``: the real process on a free loopback port, serving once its
    health check answers."""
    started: list[ConsoleProcess] = []

    def start(**extra: str) -> ConsoleProcess:
        port = free_port()
        log = tmp_path / f"console-{len(started)}.log"
        penv = {**os.environ, **env, "CONSOLE_HOST": "127.0.0.1", "CONSOLE_PORT": str(port),
                "PYTHONUNBUFFERED": "1", **extra}  # fmt: skip
        popen = subprocess.Popen(
            [sys.executable, "-m", "app", "console"],
            cwd=ROOT,
            env=penv,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc = ConsoleProcess(f"http://127.0.0.1:{port}", popen, log)
        started.append(proc)
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(proc.url + "/healthz", timeout=2).text == "ok\n":
                    return proc
            except requests.ConnectionError:
                pass
            if popen.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"console did not start:\n{proc.log()}")
            time.sleep(0.2)

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def console(env: dict[str, str], serve_console: Callable[..., Console]) -> Console:
    return serve_console(env)
