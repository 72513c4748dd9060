"""Ids taken from untrusted job parameters."""

from __future__ import annotations

import uuid

from app.errors import InvalidParams


def parse_uuid(value: object, what: str) -> str:
    """The canonical text of a UUID taken from untrusted input.

    Raises:
        InvalidParams: ``value`` is not a string holding a UUID (never a SQL error later).
    """
    if not isinstance(value, str):
        raise InvalidParams(f"{what} must be a UUID string")
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise InvalidParams(f"{what} is not a valid UUID") from None
