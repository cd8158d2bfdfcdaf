"""Sign-ups never confirmed are removed by cron after UNCONFIRMED_ACCOUNT_DAYS, with nothing of
theirs left behind; confirmed accounts and young sign-ups stay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from app.accounts import codes
from app.accounts.models import AccountCode, User
from app.accounts.services import create_user
from app.audit.models import AuditEvent
from app.core.db_types import utcnow
from app.core.extensions import db
from app.decisions import cron
from app.growth.models import OwnerClaim
from tests.factories import install_charter


def _sign_up(email: str, age_days: float) -> User:
    user = create_user(display_name=email, email=email, password="x", check_policy=False,
                       verified=False)
    db.session.flush()
    db.session.execute(update(User).where(User.id == user.id).values(
        created_at=utcnow() - timedelta(days=age_days)))
    return user


def test_cron_removes_old_unconfirmed_sign_ups_and_their_claims(
    app: Any, db_session: Any, monkeypatch: Any
) -> None:
    install_charter()
    monkeypatch.setitem(app.config, "UNCONFIRMED_ACCOUNT_DAYS", 3)
    old = _sign_up("old@example.test", 4)
    young = _sign_up("young@example.test", 1)
    confirmed = create_user(display_name="Kept", email="kept@example.test", password="x",
                            check_policy=False)
    db.session.flush()
    db.session.execute(update(User).where(User.id == confirmed.id).values(
        created_at=utcnow() - timedelta(days=40)))
    codes.issue(old.id, "verify_email", "old@example.test")
    db.session.add(OwnerClaim(owner_number="N1", user_id=old.id, status="refused",
                              reason="no_contact"))
    db.session.commit()
    old_id = old.id

    lines = cron.housekeeping()
    assert "removed 1 account(s) never confirmed" in lines
    db.session.expire_all()
    assert db.session.get(User, old_id) is None
    assert db.session.get(User, young.id) is not None
    assert db.session.get(User, confirmed.id) is not None
    assert db.session.scalar(select(func.count()).select_from(OwnerClaim).where(
        OwnerClaim.user_id == old_id)) == 0
    assert db.session.scalar(select(func.count()).select_from(AccountCode).where(
        AccountCode.user_id == old_id)) == 0
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "auth.unconfirmed_purged",
        AuditEvent.subject == f"user:{old_id}")) is not None
    # The address is free again.
    again = create_user(display_name="Again", email="old@example.test", password="x",
                        check_policy=False, verified=False)
    db.session.flush()
    assert again.id != young.id
    assert cron.housekeeping() == []
