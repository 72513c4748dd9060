"""Who is asking: HTTP Basic or Bearer credentials, compared in constant time.

Accepted, when configured: ``Authorization: Basic`` with ``CONSOLE_USER``/``CONSOLE_PASSWORD``;
``Authorization: Bearer <CONSOLE_TOKEN>``; or Basic with the token as the password (what a
browser's login prompt sends), where the typed user name is kept as the actor's name, marked
``(token)``: a shared token names nobody by itself.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from app.console.config import Credentials

REALM = "FinaPilot console"
ACTOR_MAX_CHARS = 64


def _same(given: str, expected: str) -> bool:
    """Constant time whatever the lengths: digests of equal size are compared."""
    return hmac.compare_digest(
        hashlib.sha256(given.encode()).digest(), hashlib.sha256(expected.encode()).digest()
    )


def _basic(value: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def _printable(name: str) -> str:
    kept = "".join(c for c in name if c.isprintable()).strip()
    return kept[:ACTOR_MAX_CHARS]


def authenticate(header: str | None, credentials: Credentials) -> str | None:
    """The actor's name for a valid ``Authorization`` header, else None."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer" and credentials.token is not None:
        return "token" if _same(value.strip(), credentials.token) else None
    if scheme != "basic":
        return None
    pair = _basic(value)
    if pair is None:
        return None
    user, password = pair
    # Both checks always run, so the time taken says nothing about which one failed.
    pair_ok = (
        credentials.user is not None
        and credentials.password is not None
        and _same(user, credentials.user) & _same(password, credentials.password)
    )
    token_ok = credentials.token is not None and _same(password, credentials.token)
    if pair_ok:
        return credentials.user
    if token_ok:
        name = _printable(user)
        return f"{name} (token)" if name else "token"
    return None
