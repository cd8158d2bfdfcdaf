"""Signed-in sessions kept on the server.

The browser's session (and its remember cookie, if asked for) carries "user id . random key";
the server keeps the key's SHA-256 in `user_sessions`. Signing out, a password change or reset,
or "sign out" on another session's row revokes the record, so every copy of the cookie stops
working at once. A session without "remember me" ends after IDLE hours without a request; a
remembered one after REMEMBER_DAYS.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import g, has_request_context, request
from sqlalchemy import select, update

from app.accounts.models import User, UserSession
from app.core.db_types import utcnow
from app.core.extensions import db

IDLE = timedelta(hours=12)
REMEMBER = timedelta(days=30)
# last_seen_at is written at most this often, not on every request.
TOUCH_EVERY = timedelta(minutes=5)


def _sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start(user: User, *, remember: bool = False) -> UserSession:
    key = secrets.token_urlsafe(24)
    row = UserSession(user_id=user.id, key_sha256=_sha(key), remember=remember)
    if has_request_context():
        row.user_agent = (request.user_agent.string or "")[:200]
        row.remote_addr = (request.remote_addr or "")[:64]
    db.session.add(row)
    user.session_key = key
    return row


def load(cookie_id: str) -> User | None:
    """The user a session cookie names, if its session record is live."""
    user_part, _, key = cookie_id.partition(".")
    if not user_part.isdigit() or not key or len(key) > 64:
        return None
    row = db.session.scalar(select(UserSession).where(UserSession.key_sha256 == _sha(key)))
    now = utcnow()
    if row is None or row.user_id != int(user_part) or row.revoked_at is not None:
        return None
    if now - (row.created_at if row.remember else row.last_seen_at) > (
        REMEMBER if row.remember else IDLE
    ):
        return None
    user = db.session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    if now - row.last_seen_at > TOUCH_EVERY and has_request_context():
        g.touch_session_id = row.id
    user.session_key = key
    return user


def current(user: User) -> UserSession | None:
    if not user.session_key:
        return None
    return db.session.scalar(
        select(UserSession).where(UserSession.key_sha256 == _sha(user.session_key))
    )


def live_for(user: User) -> list[UserSession]:
    cutoff_idle = utcnow() - IDLE
    cutoff_remember = utcnow() - REMEMBER
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.last_seen_at.desc())
    ).all()
    return [
        r for r in rows
        if (r.created_at > cutoff_remember if r.remember else r.last_seen_at > cutoff_idle)
    ]


def revoke(user: User, session_id: int) -> bool:
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True


def revoke_current(user: User) -> None:
    row = current(user)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def revoke_all(user_id: int, *, keep: UserSession | None = None) -> int:
    """End every session of the account (but `keep`); how many were live."""
    statement = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(UserSession.id != keep.id)
    return int(db.session.execute(statement.values(revoked_at=utcnow())).rowcount or 0)


def mark_second_factor(user: User) -> None:
    row = current(user)
    if row is not None:
        row.second_factor_at = utcnow()
        if has_request_context():
            g.second_factor_at = row.second_factor_at


def second_factor_passed(user: User) -> bool:
    row = current(user)
    passed = row is not None and row.second_factor_at is not None
    if passed and has_request_context():
        # Every audit event of this request records that the actor passed two-factor sign-in.
        g.second_factor_at = row.second_factor_at
    return passed


def touch_after_request() -> None:
    """Record that a session was used, after the view: anything the view left uncommitted would
    be rolled back at teardown anyway, so the touch runs in a transaction of its own."""
    session_id = g.pop("touch_session_id", None)
    if session_id is None:
        return
    db.session.rollback()
    db.session.execute(
        update(UserSession).where(UserSession.id == session_id).values(last_seen_at=utcnow())
    )
    db.session.commit()
