"""Sign-ups never confirmed are removed after UNCONFIRMED_ACCOUNT_DAYS (cron's housekeeping).

An unconfirmed account cannot claim an owner number, vote or hold office, so it holds nothing but
an address that someone typed, possibly someone else's (docs/accounts.md: address squatting).
Removing it frees that address. What it left behind goes with it: codes, sessions, tokens,
recovery codes and any claim row (none should exist; the audit would otherwise keep naming a
number it once asked for). Mail already sent and audit events stay, unlinked from the account,
and one "auth.unconfirmed_purged" event names the account removed.

An account that anything of weight refers to (growth value, a ballot, a seat, a proposal...) is
never removed here: the database's foreign keys refuse it and the account is skipped.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.models import AccountCode, ApiToken, RecoveryCode, User, UserSession
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.core.extensions import db
from app.growth.models import OwnerClaim
from app.mail.models import OutboxMessage


def due(now: datetime) -> list[int]:
    days = int(current_app.config.get("UNCONFIRMED_ACCOUNT_DAYS") or 7)
    return list(db.session.scalars(
        select(User.id).where(
            User.email_verified_at.is_(None), User.phone_verified_at.is_(None),
            User.external_id.is_(None), User.role == "owner",
            User.created_at < now - timedelta(days=days),
        ).order_by(User.id)
    ))


def purge_unconfirmed(now: datetime) -> list[str]:
    """Remove each due account in its own savepoint; lines for cron's report. Caller commits."""
    removed: list[int] = []
    kept: list[int] = []
    for user_id in due(now):
        try:
            with db.session.begin_nested():
                for model in (AccountCode, UserSession, ApiToken, RecoveryCode):
                    db.session.execute(delete(model).where(model.user_id == user_id))
                db.session.execute(delete(OwnerClaim).where(OwnerClaim.user_id == user_id))
                db.session.execute(update(OutboxMessage).where(OutboxMessage.user_id == user_id)
                                   .values(user_id=None))
                db.session.execute(update(AuditEvent).where(AuditEvent.actor_id == user_id)
                                   .values(actor_id=None))
                db.session.execute(delete(User).where(User.id == user_id))
        except IntegrityError:
            kept.append(user_id)
            continue
        removed.append(user_id)
        audit.record("auth.unconfirmed_purged", actor_id=None, subject=f"user:{user_id}")
    lines = [f"removed {len(removed)} account(s) never confirmed"] if removed else []
    if kept:
        lines.append(f"kept {len(kept)} unconfirmed account(s) that other records refer to: "
                     + ", ".join(f"#{i}" for i in kept))
    return lines
