"""Job rows are untrusted input (CONTRACT-2 §0.3): any logged-in user can insert any job for any
org through the backend's generic route. The checks every handler of the newer types makes:
the creator's role in the job's org, and upload keys only under the org's own prefix."""

from __future__ import annotations

from enum import IntEnum

import psycopg2.extras

from app.db import execute
from app.errors import Forbidden, InvalidParams
from app.job import ClaimedJob

#: What the role check reads (start-up check of the types that make it).
ACCESS_TABLES = {
    "jobs": ("created_by_user_id",),
    "user_org_roles": ("user_id", "org_id", "role"),
}


class Role(IntEnum):
    """``user_org_roles.role``, ranked: a higher role may do what a lower one may."""

    VIEWER = 0
    FINANCE = 1
    ADMIN = 2

    @classmethod
    def parse(cls, raw: object) -> Role | None:
        """The role of a stored value, None for anything else (which then grants nothing)."""
        if not isinstance(raw, str):
            return None
        try:
            return cls[raw.strip().upper()]
        except KeyError:
            return None


def require_role(cur: psycopg2.extras.RealDictCursor, job: ClaimedJob, role: Role) -> None:
    """A job a user created needs that user to hold at least ``role`` in the job's org.

    System jobs (no ``created_by_user_id``: worker follow-ups, backend services) need no role.

    Raises:
        Forbidden: the user has no role, or a lower one, in the org (or the job has no org).
    """
    if job.created_by_user_id is None:
        return
    needed = role.name.lower()
    if job.org_id is None:
        raise Forbidden(
            f"user is not {_article(needed)} {needed} of org (none): the job names no org"
        )
    rows = execute(
        cur, "access_user_role", {"user_id": job.created_by_user_id, "org_id": job.org_id}
    )
    held = Role.parse(rows[0]["role"]) if rows else None
    if held is None or held < role:
        raise Forbidden(f"user is not {_article(needed)} {needed} of org {job.org_id}")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def require_upload_key(key: object, org_id: str | None) -> str:
    """An S3 key from the parameters, accepted only under ``uploads/<org_id>/`` (§0.3 c).

    Raises:
        InvalidParams: not a string, outside the org's prefix, or with a ``..`` segment (the
            message never echoes the key).
    """
    if not isinstance(key, str) or not key or org_id is None:
        raise InvalidParams("params.uploadKey must be an upload key of the job's org")
    prefix = f"uploads/{org_id}/"
    parts = key.split("/")
    if not key.startswith(prefix) or len(key) == len(prefix) or ".." in parts or "" in parts:
        raise InvalidParams("params.uploadKey is not an upload of the job's org")
    return key
