"""The console's settings: the worker's :class:`~app.settings.Settings` plus its own, parsed once.

The console refuses to start without credentials: a token (``CONSOLE_TOKEN``) or a user name and
password (``CONSOLE_USER``, ``CONSOLE_PASSWORD``), each secret at least
:data:`MIN_SECRET_CHARS` characters long.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.settings import Settings, SettingsError, _bool, _int

MIN_SECRET_CHARS = 16
DEFAULT_PORT = 8080


@dataclass(frozen=True)
class Credentials:
    """What a request must present: a token, a user/password pair, or either when both are set."""

    token: str | None = field(default=None, repr=False)
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Credentials:
        token = env.get("CONSOLE_TOKEN", "").strip() or None
        user = env.get("CONSOLE_USER", "").strip() or None
        password = env.get("CONSOLE_PASSWORD", "") or None
        if (user is None) != (password is None):
            raise SettingsError("CONSOLE_USER and CONSOLE_PASSWORD are set together, or neither")
        if token is None and user is None:
            raise SettingsError(
                "the console needs credentials: CONSOLE_TOKEN, or CONSOLE_USER and "
                "CONSOLE_PASSWORD; it does not start without them"
            )
        for name, secret in (("CONSOLE_TOKEN", token), ("CONSOLE_PASSWORD", password)):
            if secret is not None and len(secret) < MIN_SECRET_CHARS:
                raise SettingsError(f"{name} must be at least {MIN_SECRET_CHARS} characters long")
        if user is not None and (":" in user or len(user) > 64):
            raise SettingsError("CONSOLE_USER must be at most 64 characters, without ':'")
        return cls(token=token, user=user, password=password)


@dataclass(frozen=True)
class ConsoleSettings:
    """Everything ``python -m app console`` needs, validated at start.

    Attributes:
        base: the worker's settings (database, S3, logging, window and presence rules).
        credentials: what every request must present.
        host, port: where it listens (``CONSOLE_HOST``; ``CONSOLE_PORT``, else Render's ``PORT``).
        threads: request threads; also the size of its connection pool.
        secret_key: signs the session cookie that carries the CSRF token
            (``CONSOLE_SECRET_KEY``; random per process when unset).
        statement_timeout_ms, lock_timeout_ms: bounds of every statement it runs.
        link_ttl_s: lifetime of an export's presigned S3 link.
        cookie_secure: the session cookie is sent over HTTPS only.
        refresh_s: how often a job page refreshes itself while the job runs.
        overview_refresh_s: how often the overview refreshes; it is computed at most this
            often, whoever looks.
    """

    base: Settings
    credentials: Credentials
    host: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    threads: int = 4
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    statement_timeout_ms: int = 5000
    lock_timeout_ms: int = 2000
    link_ttl_s: int = 60
    cookie_secure: bool = True
    refresh_s: int = 3
    overview_refresh_s: int = 10

    @property
    def limits(self) -> dict[str, int]:
        """The bounds every console transaction sets (``console_read_only``/``_write_limits``)."""
        return {
            "statement_timeout_ms": self.statement_timeout_ms,
            "lock_timeout_ms": self.lock_timeout_ms,
        }

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConsoleSettings:
        """Parse and validate; raise :class:`SettingsError` naming the problem."""
        env = os.environ if env is None else env
        base = Settings.from_env(env)
        credentials = Credentials.from_env(env)
        port_name = "CONSOLE_PORT" if env.get("CONSOLE_PORT", "").strip() else "PORT"
        secret_key = env.get("CONSOLE_SECRET_KEY", "").strip()
        if secret_key and len(secret_key) < MIN_SECRET_CHARS:
            raise SettingsError(
                f"CONSOLE_SECRET_KEY must be at least {MIN_SECRET_CHARS} characters"
            )
        settings = cls(
            base=base,
            credentials=credentials,
            host=env.get("CONSOLE_HOST", "").strip() or "0.0.0.0",
            port=_int(env, port_name, DEFAULT_PORT),
            threads=_int(env, "CONSOLE_THREADS", 4, minimum=1),
            secret_key=secret_key or secrets.token_urlsafe(32),
            statement_timeout_ms=_int(env, "CONSOLE_STATEMENT_TIMEOUT_MS", 5000, minimum=100),
            lock_timeout_ms=_int(env, "CONSOLE_LOCK_TIMEOUT_MS", 2000, minimum=100),
            link_ttl_s=_int(env, "CONSOLE_LINK_SECONDS", 60, minimum=5),
            cookie_secure=_bool(env, "CONSOLE_COOKIE_SECURE", True),
            refresh_s=_int(env, "CONSOLE_REFRESH_SECONDS", 3, minimum=1),
            overview_refresh_s=_int(env, "CONSOLE_OVERVIEW_SECONDS", 10, minimum=1),
        )
        if settings.port > 65535:
            raise SettingsError(f"{port_name} must be a TCP port, got {settings.port}")
        if settings.link_ttl_s > 3600:
            raise SettingsError("CONSOLE_LINK_SECONDS must be at most 3600 (a short-lived link)")
        return settings
