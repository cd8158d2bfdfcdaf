"""Sign-up with a confirmed address, and password reset, told apart from nobody.

A visitor never learns whether an email or phone already has an account: a sign-up with a
taken address looks exactly like a new one ("we sent you a code"), and the address's real
holder gets a note instead of a code. A reset request always answers "if an account exists,
we sent a link".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import session

from app import mail
from app.accounts import codes, sessions
from app.accounts.models import AccountCode, User
from app.accounts.passwords import hash_password
from app.accounts.services import create_user, find_by_login, holder_of
from app.audit import service as audit
from app.core.db_types import utcnow
from app.core.extensions import db

PENDING_KEY = "signup_pending"


@dataclass(frozen=True)
class Pending:
    user_id: int | None
    shown_target: str


def mask(target: str) -> str:
    if "@" in target:
        name, _, domain = target.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"{target[:3]}{'*' * max(0, len(target) - 7)}{target[-4:]}"


def send_verification(user: User) -> str:
    """Send a confirmation code to the account's email (else phone); the address it went to."""
    if user.email:
        _row, code = codes.issue(user.id, "verify_email", user.email)
        mail.send(user, "verify_email", code=code, minutes=codes.CODE_MINUTES,
                  link=mail.external_url("accounts.verify_link", user_id=user.id, code=code))
        return user.email
    assert user.phone
    _row, code = codes.issue(user.id, "verify_phone", user.phone)
    mail.send_sms(user, "verify_phone", code=code, minutes=codes.CODE_MINUTES)
    return user.phone


def sign_up(*, display_name: str, email: str, phone: str, password: str, owner_number: str,
            locale: str) -> Pending:
    """Create an unconfirmed account and send its code, or, for a taken address, warn its holder.
    Either way the visitor is shown the same page. The caller commits."""
    holder = holder_of(email, phone)
    if holder is not None:
        shown = email or phone
        if holder.email and holder.email == email.strip().lower():
            mail.send(holder, "signup_attempt", login_link=mail.external_url("accounts.login"),
                      reset_link=mail.external_url("accounts.reset_request"))
        else:
            mail.send_sms(holder, "signup_attempt")
        audit.record("auth.signup", actor_id=holder.id, outcome="refused", reason="address taken")
        return Pending(None, mask(shown.strip()))
    user = create_user(display_name=display_name, email=email or None, phone=phone or None,
                       password=password, verified=False, locale=locale)
    db.session.flush()
    target = send_verification(user)
    if owner_number:
        # Remembered with the code: the claim starts once the address is confirmed.
        row = codes.live(user.id, "verify_email" if user.email else "verify_phone")
        assert row is not None
        row.owner_number = owner_number
    audit.record("auth.signup", actor_id=user.id)
    return Pending(user.id, mask(target))


def remember_pending(pending: Pending) -> None:
    session[PENDING_KEY] = {"user_id": pending.user_id, "shown": pending.shown_target}


def pending() -> Pending | None:
    value: Any = session.get(PENDING_KEY)
    if not isinstance(value, dict):
        return None
    return Pending(value.get("user_id"), str(value.get("shown", "")))


def confirm(user_id: int | None, code: str) -> tuple[User | None, AccountCode | None]:
    """Spend a sign-up code; the confirmed account (and the code row) or (None, None)."""
    if user_id is None:
        return None, None
    user = db.session.get(User, user_id)
    if user is None:
        return None, None
    for purpose in ("verify_email", "verify_phone"):
        row = codes.redeem(user.id, purpose, code)
        if row is not None:
            # A profile change sends the code to the new address: it takes effect only now.
            if purpose == "verify_email":
                user.email = row.target
                user.email_verified_at = utcnow()
            else:
                user.phone = row.target
                user.phone_verified_at = utcnow()
            audit.record("auth.address_confirmed", actor_id=user.id, channel=purpose[7:])
            return user, row
    return None, None


def request_reset(login: str) -> None:
    """Send a reset link if `login` names an account; say nothing either way. Caller commits."""
    user = find_by_login(login)
    if user is None or user.disabled_at is not None:
        return
    target = user.email or user.phone or ""
    row, token = codes.issue(user.id, "reset", target, minutes=codes.RESET_MINUTES,
                             long_token=True)
    link = mail.external_url("accounts.reset_confirm", user_id=user.id, token=token)
    if user.email:
        mail.send(user, "password_reset", link=link, minutes=codes.RESET_MINUTES)
    else:
        mail.send_sms(user, "password_reset", link=link, minutes=codes.RESET_MINUTES)
    audit.record("auth.reset_requested", actor_id=user.id)


def reset_password(user_id: int, token: str, password: str) -> User | None:
    """Set a new password with a live reset token; every session and API token of the account
    ends. None when the link is wrong, used or expired. Caller commits."""
    user = db.session.get(User, user_id)
    if user is None or codes.redeem(user.id, "reset", token) is None:
        return None
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    # The link proved the address it was sent to.
    if user.email:
        user.email_verified_at = user.email_verified_at or utcnow()
    elif user.phone:
        user.phone_verified_at = user.phone_verified_at or utcnow()
    ended = sessions.revoke_all(user.id)
    audit.record("auth.password_reset", actor_id=user.id, sessions_ended=ended)
    return user


def change_address(user: User, kind: str, value: str) -> str:
    """Send a code to a new email or phone; it replaces the old one once confirmed. A taken
    address gets a note instead, and the visitor sees the same answer. Caller commits."""
    holder = holder_of(value if kind == "email" else "", value if kind == "phone" else "")
    if holder is not None and holder.id != user.id:
        if kind == "email":
            mail.send_to(value, "signup_attempt", user=holder, locale=mail.recipient_locale(holder),
                         login_link=mail.external_url("accounts.login"),
                         reset_link=mail.external_url("accounts.reset_request"))
        else:
            mail.send_sms_to(value, "signup_attempt", locale=mail.recipient_locale(holder))
        return mask(value)
    purpose = "verify_email" if kind == "email" else "verify_phone"
    _row, code = codes.issue(user.id, purpose, value)
    if kind == "email":
        mail.send_to(value, "verify_email", user=user, code=code, minutes=codes.CODE_MINUTES,
                     link=mail.external_url("accounts.verify_link", user_id=user.id, code=code))
    else:
        mail.send_sms_to(value, "verify_phone", locale=mail.recipient_locale(user), code=code,
                         minutes=codes.CODE_MINUTES)
    audit.record("auth.address_change_requested", actor_id=user.id, channel=kind)
    return mask(value)
