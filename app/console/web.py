"""The console's Flask application: credentials on every request, CSRF on every POST, security
headers on every response, one log line per request (method, path, status, time, who: never a
query string, a form or a parameter).

Only ``/healthz`` answers without credentials (Render's health check sends none); it says ``ok``
or ``unavailable`` and nothing else.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

import psycopg2
from flask import Flask, Response, g, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from app.console.actions import ConsoleActions
from app.console.auth import REALM, authenticate
from app.console.config import ConsoleSettings
from app.console.reader import ConsoleReader
from app.db import Database
from app.logging_setup import log_event

logger = logging.getLogger(__name__)

SESSION_COOKIE = "finapilot_console"
CSRF_TIME_LIMIT_S = 8 * 3600
MAX_FORM_BYTES = 64 * 1024
HEALTH_ENDPOINT = "console.health"
STATIC_MAX_AGE_S = 3600

#: Scripts and styles from the console itself only (no inline code), no framing, no plugins,
#: forms post back to the console, requests go to the console only.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Strict-Transport-Security": "max-age=31536000",
}

csrf = CSRFProtect()


def create_app(settings: ConsoleSettings, db: Database) -> Flask:
    """The WSGI application over ``db``; nothing here opens a connection until a request."""
    from app.console import forms  # noqa: F401  (its routes join the blueprint)
    from app.console.views import views

    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        WTF_CSRF_TIME_LIMIT=CSRF_TIME_LIMIT_S,
        MAX_CONTENT_LENGTH=MAX_FORM_BYTES,
        SEND_FILE_MAX_AGE_DEFAULT=STATIC_MAX_AGE_S,
    )
    app.extensions["console"] = {
        "settings": settings,
        "reader": ConsoleReader(db, settings),
        "actions": ConsoleActions(db, settings),
        "can_act": None,  # learnt from the role's privileges on first use
    }

    @app.before_request
    def authenticate_request() -> Response | None:
        g.started = time.monotonic()
        g.actor = None
        if request.endpoint == HEALTH_ENDPOINT and request.method in ("GET", "HEAD"):
            return None
        g.actor = authenticate(request.headers.get("Authorization"), settings.credentials)
        if g.actor is None:
            return _unauthorized()
        if request.method == "POST" and not _same_origin():
            return _plain("This request did not come from the console.", 403)
        return None

    # Registered after the credentials check, so that a request without them is told 401.
    csrf.init_app(app)
    app.register_blueprint(views)

    @app.after_request
    def finish(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        else:
            response.headers["Cache-Control"] = f"private, max-age={STATIC_MAX_AGE_S}"
        _log_request(response)
        return response

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError) -> tuple[str, int]:
        return render_template(
            "message.html",
            title="Form expired",
            message="This form has expired or did not come from this console. Reload the page "
            "and try again.",
        ), 403

    @app.errorhandler(psycopg2.errors.QueryCanceled)
    def too_slow(exc: Exception) -> tuple[str, int]:
        return render_template(
            "message.html",
            title="The database did not answer in time",
            message=f"The console stops any statement after {settings.statement_timeout_ms} ms "
            "so that it never competes with the workers. Narrow the filters and try again.",
        ), 503

    @app.errorhandler(404)
    def not_found(exc: Exception) -> tuple[str, int]:
        return render_template("message.html", title="Not found", message="No such page."), 404

    @app.errorhandler(500)
    def failed(exc: Exception) -> tuple[str, int]:
        return render_template(
            "message.html", title="Something went wrong", message="The error was logged."
        ), 500

    return app


def services(app: Flask | None = None) -> dict[str, Any]:
    """The console's reader, actions and settings of the current application."""
    from flask import current_app

    found: dict[str, Any] = (app or current_app).extensions["console"]
    return found


def _unauthorized() -> Response:
    response = _plain("Authentication required.", 401)
    response.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return response


def _plain(text: str, status: int) -> Response:
    return Response(text + "\n", status=status, mimetype="text/plain")


def _same_origin() -> bool:
    """A POST carrying an Origin (every browser sends one) must come from this host; ``null``
    (an opaque or cross-site origin) never does."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.host


def _log_request(response: Response) -> None:
    started = getattr(g, "started", None)
    level = logging.DEBUG if request.endpoint in (HEALTH_ENDPOINT, "static") else logging.INFO
    log_event(
        logger,
        level,
        "console_request",
        method=request.method,
        path=request.path,
        status=response.status_code,
        duration_ms=round((time.monotonic() - started) * 1000, 1) if started else None,
        by=getattr(g, "actor", None),
    )
