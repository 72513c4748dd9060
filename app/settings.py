"""Configuration: one typed object parsed once from the environment (contract §7).

Modules receive a :class:`Settings`; they never read ``os.environ`` themselves.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from app.retry import RetryPolicy


#: Levels ``LOG_LEVEL`` may name (the logging module's, as words).
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_PORT = 65535
#: S3 refuses presigned URLs valid longer than 7 days (SigV4).
MAX_PRESIGNED_URL_S = 7 * 86_400


class SettingsError(ValueError):
    """The environment does not describe a valid configuration."""


def _float(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be >= {minimum}, got {value}")
    return value


def _int(
    env: Mapping[str, str],
    name: str,
    default: int,
    *,
    minimum: int = 0,
    maximum: int | None = None,
) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise SettingsError(f"{name} must be {bound}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _log_level(env: Mapping[str, str]) -> str:
    """``LOG_LEVEL`` upper-cased, ``WARN`` read as ``WARNING`` (as the logging module does);
    checked against :data:`LOG_LEVELS` by :meth:`Settings.validate`."""
    level = (env.get("LOG_LEVEL", "").strip() or "INFO").upper()
    return "WARNING" if level == "WARN" else level


def _list(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    if name not in env:
        return default
    return tuple(item.strip() for item in env[name].split(",") if item.strip())


#: ``model_runs.run_type`` values (contract §5.0); ALERT_RUN_TYPES names a subset.
RUN_TYPES = ("baseline", "scenario", "adhoc", "forecast")
ALERT_WEBHOOK_TIMEOUT_MAX_S = 30.0


def _alert_run_types(env: Mapping[str, str]) -> tuple[str, ...]:
    run_types = tuple(t.lower() for t in _list(env, "ALERT_RUN_TYPES", ("baseline",)))
    unknown = [t for t in run_types if t not in RUN_TYPES]
    if unknown or not run_types:
        raise SettingsError(
            f"ALERT_RUN_TYPES must list run types among {', '.join(RUN_TYPES)}, "
            f"got {unknown or '(none)'}"
        )
    return run_types


def _allowed_hosts(env: Mapping[str, str]) -> tuple[str, ...]:
    """Exact host names (no scheme, port, path or wildcard), IDNA-normalised, lower case."""
    from app.alerts.webhook import normalize_host

    hosts = []
    for raw in _list(env, "ALERT_WEBHOOK_ALLOWED_HOSTS", ("hooks.slack.com",)):
        host = normalize_host(raw)
        if host is None:
            raise SettingsError(
                f"ALERT_WEBHOOK_ALLOWED_HOSTS entries must be plain host names, got {raw!r}"
            )
        hosts.append(host)
    return tuple(hosts)


@dataclass(frozen=True)
class DatabaseUrl:
    """A libpq URL with Prisma's ``?schema=`` removed and kept as ``search_path``."""

    dsn: str
    schema: str | None

    @classmethod
    def parse(cls, raw: str) -> DatabaseUrl:
        """Accept ``postgres://`` and ``postgresql://``; move ``schema`` out of the query."""
        raw = raw.strip()
        if raw.startswith("postgres://"):
            raw = "postgresql://" + raw[len("postgres://") :]
        if not raw.startswith("postgresql://"):
            raise SettingsError("DATABASE_URL must start with postgresql:// or postgres://")
        parts = urlsplit(raw)
        query = parse_qsl(parts.query, keep_blank_values=True)
        schema = next((v for k, v in query if k == "schema"), None) or None
        kept = [(k, v) for k, v in query if k != "schema"]
        dsn = urlunsplit(parts._replace(query=urlencode(kept)))
        return cls(dsn=dsn, schema=schema)

    def redacted(self) -> str:
        """The URL without its password, for logs."""
        parts = urlsplit(self.dsn)
        if parts.password is None:
            return self.dsn
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))

    def __repr__(self) -> str:
        return f"DatabaseUrl({self.redacted()!r}, schema={self.schema!r})"


def default_worker_id() -> str:
    """``worker-<hostname>-<pid>-<epoch>`` (contract §7)."""
    return f"worker-{socket.gethostname()}-{os.getpid()}-{int(time.time())}"


@dataclass(frozen=True)
class Settings:
    """Every setting of the bridge and the workers, validated at start."""

    database: DatabaseUrl
    job_types: tuple[str, ...] = ()
    followup_jobs: tuple[str, ...] = ()
    worker_concurrency: int = 4
    worker_id: str = field(default_factory=default_worker_id)
    poll_interval_s: float = 0.5
    lease_s: float = 45.0
    heartbeat_s: float = 10.0
    reaper_interval_s: float = 10.0
    base_backoff_s: float = 30.0
    max_backoff_s: float = 3600.0
    graceful_shutdown_s: float = 180.0
    log_max_entries: int = 200
    max_crashes: int = 3
    window_per_thread: float = 2.0
    window_max: int = 500
    worker_presence_s: float = 15.0
    liveness_interval_s: float = 1.0
    reconnect_grace_s: float = 30.0
    purge_interval_s: float = 30.0
    purge_age_s: float = 60.0
    bridge_metrics_port: int = 9300
    montecarlo_chunk_ram_bytes: int = 1_500_000_000
    compute_cost_per_hour: float = 0.10
    s3_bucket: str | None = None
    xlsx_max_uncompressed_bytes: int = 1 << 30
    xlsx_max_cells: int = 5_000_000
    xlsx_preview_rows: int = 100
    provenance_url_ttl_s: int = 86_400
    aws_region: str = "us-east-1"
    s3_endpoint_url: str | None = None
    log_level: str = "INFO"
    log_format: str = "text"
    db_debug: bool = False
    alert_run_types: tuple[str, ...] = ("baseline",)
    alert_webhooks_enabled: bool = False
    alert_webhook_allowed_hosts: tuple[str, ...] = ("hooks.slack.com",)
    alert_webhook_timeout_s: float = 5.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Parse and validate the environment; raise :class:`SettingsError` with a clear message."""
        env = os.environ if env is None else env
        raw_url = env.get("DATABASE_URL", "").strip()
        if not raw_url:
            raise SettingsError("DATABASE_URL is required (postgresql://user:pass@host/db)")
        # The registry imports the job types' database code, which imports this module.
        from app.jobtypes import REGISTRY

        job_types = _list(env, "WORKER_JOB_TYPES", REGISTRY.default_claimed)
        unknown = [t for t in job_types if t not in REGISTRY]
        if unknown:
            raise SettingsError(
                f"WORKER_JOB_TYPES has unknown job types {unknown}; allowed: "
                f"{', '.join(REGISTRY.claimable)}"
            )
        not_implemented = [t for t in job_types if not REGISTRY[t].implemented]
        if not_implemented:
            raise SettingsError(
                f"WORKER_JOB_TYPES lists {not_implemented}, which this worker does not run yet "
                f"(leave them to the legacy worker); allowed: {', '.join(REGISTRY.claimable)}"
            )
        if not job_types:
            raise SettingsError("WORKER_JOB_TYPES must name at least one job type")
        followups = _list(env, "WORKER_FOLLOWUP_JOBS", REGISTRY.followup_types)
        unknown = [t for t in followups if t not in REGISTRY.followup_types]
        if unknown:
            raise SettingsError(
                f"WORKER_FOLLOWUP_JOBS has {unknown}, which no job type inserts; allowed: "
                f"{', '.join(REGISTRY.followup_types) or '(none)'}"
            )
        settings = cls(
            database=DatabaseUrl.parse(raw_url),
            job_types=job_types,
            followup_jobs=followups,
            worker_concurrency=_int(env, "WORKER_CONCURRENCY", 4, minimum=1),
            worker_id=env.get("WORKER_ID", "").strip() or default_worker_id(),
            poll_interval_s=_float(env, "WORKER_POLL_INTERVAL_SECONDS", 0.5, minimum=0.01),
            lease_s=_float(env, "JOB_VISIBILITY_TIMEOUT_SECONDS", 45.0, minimum=1.0),
            heartbeat_s=_float(env, "WORKER_HEARTBEAT_SECONDS", 10.0, minimum=0.1),
            reaper_interval_s=_float(env, "WORKER_REAPER_INTERVAL_SECONDS", 10.0, minimum=0.1),
            base_backoff_s=_float(env, "JOB_BASE_BACKOFF_SECONDS", 30.0),
            max_backoff_s=_float(env, "JOB_MAX_BACKOFF_SECONDS", 3600.0),
            graceful_shutdown_s=_float(env, "WORKER_GRACEFUL_SHUTDOWN_TIMEOUT", 180.0),
            log_max_entries=_int(env, "WORKER_LOG_MAX_ENTRIES", 200, minimum=10),
            max_crashes=_int(env, "WORKER_MAX_CRASHES", 3, minimum=1),
            window_per_thread=_float(env, "BRIDGE_WINDOW_PER_THREAD", 2.0, minimum=0.1),
            window_max=_int(env, "BRIDGE_WINDOW_MAX", 500, minimum=1),
            worker_presence_s=_float(env, "WORKER_PRESENCE_SECONDS", 15.0, minimum=1.0),
            liveness_interval_s=_float(env, "BRIDGE_LIVENESS_INTERVAL_SECONDS", 1.0),
            reconnect_grace_s=_float(env, "WORKER_RECONNECT_GRACE_SECONDS", 30.0),
            purge_interval_s=_float(env, "BRIDGE_PURGE_INTERVAL_SECONDS", 30.0, minimum=1.0),
            purge_age_s=_float(env, "BRIDGE_PURGE_AGE_SECONDS", 60.0),
            bridge_metrics_port=_int(env, "BRIDGE_METRICS_PORT", 9300, maximum=MAX_PORT),
            montecarlo_chunk_ram_bytes=_int(
                env, "MONTECARLO_CHUNK_RAM_BYTES", 1_500_000_000, minimum=1_000_000
            ),
            compute_cost_per_hour=_float(env, "COMPUTE_COST_PER_HOUR", 0.10),
            s3_bucket=env.get("S3_BUCKET_NAME", "").strip() or None,
            xlsx_max_uncompressed_bytes=_int(
                env, "XLSX_MAX_UNCOMPRESSED_BYTES", 1 << 30, minimum=1 << 20
            ),
            xlsx_max_cells=_int(env, "XLSX_MAX_CELLS", 5_000_000, minimum=1000),
            xlsx_preview_rows=_int(env, "XLSX_PREVIEW_ROWS", 100, minimum=10),
            provenance_url_ttl_s=_int(env, "PROVENANCE_URL_TTL_SECONDS", 86_400, minimum=60),
            aws_region=env.get("AWS_REGION", "").strip() or "us-east-1",
            s3_endpoint_url=env.get("AWS_ENDPOINT_URL", "").strip() or None,
            log_level=_log_level(env),
            log_format=(env.get("LOG_FORMAT", "").strip() or "text").lower(),
            db_debug=_bool(env, "DB_DEBUG", False),
            alert_run_types=_alert_run_types(env),
            alert_webhooks_enabled=_bool(env, "ALERT_WEBHOOKS_ENABLED", False),
            alert_webhook_allowed_hosts=_allowed_hosts(env),
            alert_webhook_timeout_s=_float(env, "ALERT_WEBHOOK_TIMEOUT_SECONDS", 5.0, minimum=0.5),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Cross-field rules."""
        if self.heartbeat_s >= self.lease_s / 3:
            raise SettingsError(
                f"WORKER_HEARTBEAT_SECONDS ({self.heartbeat_s}) must be below "
                f"JOB_VISIBILITY_TIMEOUT_SECONDS / 3 ({self.lease_s / 3:.2f})"
            )
        if self.max_backoff_s < self.base_backoff_s:
            raise SettingsError("JOB_MAX_BACKOFF_SECONDS must be >= JOB_BASE_BACKOFF_SECONDS")
        if self.log_level not in LOG_LEVELS:
            raise SettingsError(
                f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}"
            )
        if self.provenance_url_ttl_s > MAX_PRESIGNED_URL_S:
            raise SettingsError(
                f"PROVENANCE_URL_TTL_SECONDS must be <= {MAX_PRESIGNED_URL_S} (7 days, the "
                f"longest S3 allows), got {self.provenance_url_ttl_s}"
            )
        if self.log_format not in ("text", "json"):
            raise SettingsError(f"LOG_FORMAT must be text or json, got {self.log_format!r}")
        if self.alert_webhook_timeout_s > ALERT_WEBHOOK_TIMEOUT_MAX_S:
            raise SettingsError(
                f"ALERT_WEBHOOK_TIMEOUT_SECONDS must be <= {ALERT_WEBHOOK_TIMEOUT_MAX_S:g} "
                "(a slow webhook holds a worker thread)"
            )

    @property
    def retry_policy(self) -> RetryPolicy:
        """The retry decision of the worker and the reaper, from these settings."""
        from app.retry import RetryPolicy

        return RetryPolicy(self.base_backoff_s, self.max_backoff_s, self.max_crashes)

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed (tests and the demo)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        shown = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        body = ", ".join(f"{k}={v!r}" for k, v in shown.items())
        return f"Settings({body})"


def settings_or_exit() -> Settings:
    """Parse the settings, or print the problem in one line and exit 1."""
    try:
        return Settings.from_env()
    except SettingsError as exc:
        logging.getLogger(__name__).error("❌ Invalid configuration: %s", exc)
        sys.exit(1)
