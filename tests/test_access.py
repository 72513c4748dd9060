"""The org and role checks of CONTRACT-2 §0.3, on real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from app.errors import Forbidden, InvalidParams
from app.job import ClaimedJob
from app.jobtypes.access import Role, require_role, require_upload_key


def _job(org_id: str | None, user_id: str | None) -> ClaimedJob:
    return ClaimedJob(
        id=str(uuid.uuid4()),
        job_type="noop",
        org_id=org_id,
        object_id=None,
        attempts=0,
        max_attempts=5,
        priority=50,
        queue="default",
        run_token=dt.datetime.now(dt.UTC),
        cancel_requested=False,
        domain_ref=None,
        params={},
        created_by_user_id=user_id,
    )


def _user(db, org_id: str, role: str | None) -> str:
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO users (email) VALUES (%s) RETURNING id::text", (f"{uuid.uuid4()}@x.io",)
        )
        user = cur.fetchone()["id"]
        if role is not None:
            cur.execute(
                "INSERT INTO user_org_roles (user_id, org_id, role) VALUES (%s, %s, %s)",
                (user, org_id, role),
            )
    return user


@pytest.mark.parametrize(
    ("held", "needed", "allowed"),
    [
        ("admin", Role.ADMIN, True),
        ("admin", Role.VIEWER, True),
        ("finance", Role.FINANCE, True),
        ("finance", Role.ADMIN, False),
        ("viewer", Role.FINANCE, False),
        ("owner", Role.VIEWER, False),  # an unknown role grants nothing
        (None, Role.VIEWER, False),  # no role in the org at all
    ],
)
def test_a_users_job_needs_the_routes_role_in_the_jobs_org(db, make_org, held, needed, allowed):
    org = make_org()
    job = _job(org, _user(db, org, held))
    with db.transaction() as cur:
        if allowed:
            require_role(cur, job, needed)
        else:
            with pytest.raises(
                Forbidden, match=f"user is not an? {needed.name.lower()} of org {org}"
            ):
                require_role(cur, job, needed)


def test_an_admin_of_another_org_is_refused_and_system_jobs_need_no_role(db, make_org):
    mine, theirs = make_org(), make_org()
    outsider = _user(db, theirs, "admin")
    with db.transaction() as cur:
        with pytest.raises(Forbidden):
            require_role(cur, _job(mine, outsider), Role.VIEWER)
        require_role(cur, _job(mine, None), Role.ADMIN)


@pytest.mark.parametrize(
    "key",
    [
        None,
        42,
        "",
        "uploads/ORG/",
        "uploads/OTHER/file.xlsx",
        "uploads/ORG/../OTHER/file.xlsx",
        "uploads/ORG//file.xlsx",
        "uploadsORG/file.xlsx",
        "../uploads/ORG/file.xlsx",
    ],
)
def test_upload_keys_outside_the_orgs_prefix_are_refused_without_echo(key):
    org = "11111111-1111-1111-1111-111111111111"
    raw = key.replace("ORG", org).replace("OTHER", "2" * 8) if isinstance(key, str) else key
    with pytest.raises(InvalidParams) as raised:
        require_upload_key(raw, org)
    assert not (isinstance(raw, str) and raw and raw in str(raised.value))


def test_an_upload_key_of_the_orgs_prefix_is_accepted():
    org = "11111111-1111-1111-1111-111111111111"
    assert require_upload_key(f"uploads/{org}/a/b.xlsx", org) == f"uploads/{org}/a/b.xlsx"
