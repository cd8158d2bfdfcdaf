"""The enrolment page shows the key as a QR code from our own route, and an owner who chose
two-factor sign-in may turn it off with the password and a current code; office holders may not."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
from sqlalchemy import select

from app.accounts import twofactor
from app.accounts.models import RecoveryCode, User
from app.audit.models import AuditEvent
from app.core.extensions import db
from tests.factories import PASSWORD, csrf_from, install_charter, make_owner


def _sign_in_and_enrol(client: Any, user: User) -> tuple[str, Any]:
    page = client.get("/login")
    client.post("/login", data={"login": user.email, "password": PASSWORD,
                                "csrf_token": csrf_from(page)})
    enrol = client.get("/account/two-factor/")
    secret = re.search(rb'id="totp-secret">([A-Z2-7]+)<', enrol.data).group(1).decode()
    assert b'<img src="/account/two-factor/qr.svg"' in enrol.data
    qr = client.get("/account/two-factor/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    assert qr.headers["Cache-Control"] == "no-store"
    assert qr.data.startswith(b"<svg") and b"<script" not in qr.data
    account = db.session.get(User, user.id)
    assert qr.data == twofactor.qr_svg(twofactor.provisioning_uri(account, secret))
    done = client.post("/account/two-factor/", data={"code": pyotp.TOTP(secret).now(),
                                                     "csrf_token": csrf_from(enrol)})
    assert b"recovery-codes" in done.data
    # Once on, the key is no longer served.
    assert client.get("/account/two-factor/qr.svg").status_code == 404
    return secret, client.get("/account/two-factor/")


def test_an_owner_turns_two_factor_off_with_password_and_a_current_code(
    app: Any, db_session: Any
) -> None:
    install_charter()
    owner = make_owner(100, email="careful@example.test")
    db.session.commit()
    client = app.test_client()
    secret, status = _sign_in_and_enrol(client, owner)
    assert b"Turn two-factor sign-in off" in status.data
    # The code just used is spent; the next step's code is the current one for this test.
    next_code = pyotp.TOTP(secret).at(time.time() + 30)
    token = csrf_from(status)
    wrong_password = client.post("/account/two-factor/off", data={
        "off-password": "not it", "off-code": next_code, "csrf_token": token})
    assert b"That is not your password." in wrong_password.data
    wrong_code = client.post("/account/two-factor/off", data={
        "off-password": PASSWORD, "off-code": "000000", "csrf_token": token})
    assert b"does not match" in wrong_code.data
    db.session.expire_all()
    assert twofactor.enabled(db.session.get(User, owner.id))
    done = client.post("/account/two-factor/off", data={
        "off-password": PASSWORD, "off-code": next_code, "csrf_token": token})
    assert done.status_code == 302
    db.session.expire_all()
    account = db.session.get(User, owner.id)
    assert not twofactor.enabled(account) and account.totp_secret is None
    assert db.session.scalar(select(RecoveryCode.id).where(
        RecoveryCode.user_id == owner.id)) is None
    outcomes = db.session.scalars(select(AuditEvent.outcome).where(
        AuditEvent.action == "auth.second_factor_disabled").order_by(AuditEvent.id)).all()
    assert outcomes == ["refused", "refused", "ok"]
    assert client.get("/me/").status_code == 200


def test_an_office_holder_cannot_turn_it_off(app: Any, db_session: Any) -> None:
    install_charter()
    council = make_owner(100, role="council", email="seat@example.test")
    db.session.commit()
    client = app.test_client()
    secret, status = _sign_in_and_enrol(client, council)
    assert b"Turn two-factor sign-in off" not in status.data
    assert b"keep two-factor sign-in while they hold the role" in status.data
    refused = client.post("/account/two-factor/off", data={
        "off-password": PASSWORD, "off-code": pyotp.TOTP(secret).at(time.time() + 30),
        "csrf_token": csrf_from(status)})
    assert refused.status_code == 302
    db.session.expire_all()
    assert twofactor.enabled(db.session.get(User, council.id))
