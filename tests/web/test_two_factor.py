"""Two-factor sign-in (TOTP, RFC 6238) for council members and administrators."""

from __future__ import annotations

import json
import re
from typing import Any

import pyotp
import pytest
from sqlalchemy import select

from app.accounts import twofactor
from app.accounts.models import RecoveryCode, User
from app.audit.models import AuditEvent
from app.core.extensions import db
from tests.factories import PASSWORD, csrf_from, install_charter, make_owner, seat_member

# RFC 6238 appendix B, SHA-1 rows: the seed "12345678901234567890", 8 digits.
RFC6238 = [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
           (1234567890, "89005924"), (2000000000, "69279037"), (20000000000, "65353130")]


@pytest.mark.parametrize("moment, expected", RFC6238)
def test_pyotp_reproduces_the_rfc_6238_vectors(moment: int, expected: str) -> None:
    import base64

    seed = base64.b32encode(b"12345678901234567890").decode()
    assert pyotp.TOTP(seed, digits=8).at(moment) == expected


def _password_only(client: Any, user: User) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"login": user.email, "password": PASSWORD,
                                           "csrf_token": csrf_from(page)})
    assert response.status_code == 302


def test_an_administrator_enrols_before_any_act_and_passes_it_at_each_sign_in(
    app: Any, db_session: Any
) -> None:
    install_charter()
    admin = make_owner(0, role="admin", email="root@example.test")
    db.session.commit()
    client = app.test_client()
    _password_only(client, admin)
    blocked = client.get("/admin/")
    assert blocked.status_code == 302 and "/account/two-factor" in blocked.headers["Location"]
    assert client.get("/me/").status_code == 200  # owner pages stay open
    enrol = client.get("/account/two-factor/")
    secret = re.search(rb'id="totp-secret">([A-Z2-7]+)<', enrol.data).group(1).decode()
    stored = db.session.get(User, admin.id).totp_secret
    assert secret not in (stored or "")  # encrypted at rest
    wrong = client.post("/account/two-factor/", data={"code": "000000",
                                                      "csrf_token": csrf_from(enrol)})
    assert b"does not match" in wrong.data
    totp = pyotp.TOTP(secret)
    done = client.post("/account/two-factor/", data={"code": totp.now(),
                                                     "csrf_token": csrf_from(enrol)})
    codes = re.findall(rb"<li>([0-9a-f]{8}-[0-9a-f]{8})</li>", done.data)
    assert len(codes) == 10
    assert client.get("/admin/").status_code == 200
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "auth.second_factor_enrolled")).all()
    assert len(events) == 1

    # A new sign-in: the password alone opens nothing, not even owner pages.
    other = app.test_client()
    _password_only(other, admin)
    held = other.get("/me/")
    assert held.status_code == 302 and "/account/two-factor" in held.headers["Location"]
    page = other.get("/account/two-factor/")
    replay = other.post("/account/two-factor/", data={"code": totp.now(),
                                                      "csrf_token": csrf_from(page)})
    assert b"Wrong or already used code" in replay.data  # the enrolment's code, used once
    recovery = codes[0].decode()
    passed = other.post("/account/two-factor/?next=/admin/", data={
        "code": recovery, "csrf_token": csrf_from(page)})
    assert passed.status_code == 302 and passed.headers["Location"].endswith("/admin/")
    assert other.get("/admin/").status_code == 200
    used = db.session.scalars(select(RecoveryCode).where(RecoveryCode.used_at.isnot(None))).all()
    assert len(used) == 1
    # Privileged acts carry the two-factor time in the audit trail.
    page = other.get("/admin/keys")
    other.post("/admin/keys", data={"confirm": "y", "csrf_token": csrf_from(page)})
    rotated = db.session.scalars(select(AuditEvent).where(
        AuditEvent.actor_id == admin.id).order_by(AuditEvent.id.desc())).first()
    assert "second_factor_at" in json.loads(rotated.details)


def test_a_council_member_is_held_at_the_review_queue_until_two_factor(
    app: Any, db_session: Any
) -> None:
    install_charter()
    member = make_owner(0, role="council", email="council@example.test")
    seat_member(member)
    db.session.commit()
    client = app.test_client()
    _password_only(client, member)
    response = client.get("/council/queue")
    assert response.status_code == 302 and "/account/two-factor" in response.headers["Location"]
    assert twofactor.is_privileged(member)
