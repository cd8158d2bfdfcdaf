"""One-time codes (six digits, typed or in a link) and reset tokens, stored only as keyed hashes.

A code belongs to one account and one purpose, works once, expires, and allows MAX_ATTEMPTS
wrong guesses before it is spent. Issuing a new code for the same purpose spends the old ones.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from app.accounts.models import AccountCode
from app.core.db_types import utcnow
from app.core.extensions import db

MAX_ATTEMPTS = 5
CODE_MINUTES = 30
RESET_MINUTES = 30


def _digest(purpose: str, user_id: int, secret: str) -> str:
    key = str(current_app.config["TRUST_TOKEN_SECRET"]).encode()
    return hmac.new(key, f"{purpose}:{user_id}:{secret}".encode(), hashlib.sha256).hexdigest()


def issue(
    user_id: int, purpose: str, target: str, *, owner_number: str | None = None,
    minutes: int = CODE_MINUTES, long_token: bool = False,
) -> tuple[AccountCode, str]:
    """A new code (or, with long_token, a 43-character link token); the plain value once."""
    db.session.execute(
        update(AccountCode)
        .where(AccountCode.user_id == user_id, AccountCode.purpose == purpose,
               AccountCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    plain = secrets.token_urlsafe(32) if long_token else f"{secrets.randbelow(10**6):06d}"
    row = AccountCode(
        user_id=user_id,
        purpose=purpose,
        target=target[:254],
        owner_number=owner_number,
        code_sha256=_digest(purpose, user_id, plain),
        expires_at=utcnow() + timedelta(minutes=minutes),
    )
    db.session.add(row)
    db.session.flush()
    return row, plain


def live(user_id: int, purpose: str) -> AccountCode | None:
    return db.session.scalar(
        select(AccountCode)
        .where(AccountCode.user_id == user_id, AccountCode.purpose == purpose,
               AccountCode.used_at.is_(None), AccountCode.expires_at > utcnow())
        .order_by(AccountCode.id.desc())
        .limit(1)
    )


def redeem(user_id: int, purpose: str, plain: str) -> AccountCode | None:
    """Spend the account's live code for `purpose` if `plain` matches; count a wrong guess."""
    row = live(user_id, purpose)
    if row is None:
        return None
    if not hmac.compare_digest(row.code_sha256, _digest(purpose, user_id, plain.strip())):
        row.attempts += 1
        if row.attempts >= MAX_ATTEMPTS:
            row.used_at = utcnow()
        return None
    row.used_at = utcnow()
    return row


def peek_token(purpose: str, user_id: int, token: str) -> AccountCode | None:
    """The live row a link token names, without spending it (the page before the form)."""
    row = live(user_id, purpose)
    if row is None or not hmac.compare_digest(row.code_sha256, _digest(purpose, user_id, token)):
        return None
    return row
