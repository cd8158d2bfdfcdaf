"""Owner numbers are claimed by proof, never by typing them.

The brand's feed (app/growth/contacts.py reads it from the import file and the API) carries,
for each owner number, the contact the brand has verified, as salted SHA-256 digests:

    contact_digest("email", "li@example.com") == sha256("<OWNER_CONTACT_SALT>:email:li@example.com")

(email lower-cased; a phone with spaces and dashes removed). An account claims a number when
its own confirmed email or phone has the digest the brand gave; a one-time code goes to that
address, and only the code binds the number (`users.external_id`). Until then the account has
no growth value and is on no roll, because imports and rolls know owners only by bound numbers.

One number, one account: a number bound to another account moves only by the same proof (a
transfer, recorded with the account it left). A claim for a number without a verified contact,
or from an account whose addresses do not match it, is refused with a reason and listed for
administrators at /admin/claims.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app import mail
from app.accounts import codes
from app.accounts.models import User
from app.audit import service as audit
from app.core.db_types import utcnow
from app.core.extensions import db
from app.growth import bindings, holding, transfers
from app.growth.models import OwnerClaim, OwnerContact

NUMBER_RE = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")
DEFAULT_SALT = "owners-trust-contact-v1"


class ClaimRefused(ValueError):
    """A claim that cannot go ahead; `code` is what administrators see, the message the owner."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ClaimStarted:
    owner_number: str
    channel: str  # "email" or "sms"
    shown_target: str


def contact_digest(kind: str, value: str, salt: str | None = None) -> str:
    if kind == "email":
        value = value.strip().lower()
    else:
        value = "".join(ch for ch in value.strip() if ch not in " -")
    salt = salt if salt is not None else str(
        current_app.config.get("OWNER_CONTACT_SALT") or DEFAULT_SALT
    )
    return hashlib.sha256(f"{salt}:{kind}:{value}".encode()).hexdigest()


def _refuse(user: User, number: str, code: str, message: str) -> ClaimRefused:
    db.session.add(OwnerClaim(owner_number=number[:64], user_id=user.id, status="refused",
                              reason=code, decided_at=utcnow()))
    audit.record("growth.claim", actor_id=user.id, subject=number[:64], outcome="refused",
                 reason=code)
    return ClaimRefused(code, message)


def issue_claim_code(user: User, number: str) -> tuple[str, str, str]:
    """Check a claim and issue its code: (channel, address, plain code); nothing is sent.
    request_claim sends it; the demo builder, which wrote the contacts itself, reads it."""
    if not NUMBER_RE.match(number):
        raise ClaimRefused(
            "bad_number", _("An owner number has letters, digits, '.', '_' and '-' only.")
        )
    if user.external_id == number:
        raise ClaimRefused(
            "already_yours", _("This owner number is already linked to your account.")
        )
    contact = db.session.get(OwnerContact, number)
    if contact is None or not (contact.email_digest or contact.phone_digest):
        raise _refuse(user, number, "no_contact", _(
            "The brand has not given a verified email or phone for this owner number, so it cannot "
            "be linked yet. Ask the brand to add your contact, then try again."))
    channel = None
    if user.email and user.email_verified_at and contact.email_digest == contact_digest(
        "email", user.email
    ):
        channel = "email"
    elif user.phone and user.phone_verified_at and contact.phone_digest == contact_digest(
        "phone", user.phone
    ):
        channel = "sms"
    if channel is None:
        raise _refuse(user, number, "contact_mismatch", _(
            "The brand lists a different email or phone for this owner number. Confirm the email "
            "or phone the brand knows on your profile, or ask the brand to correct it."))
    target = user.email if channel == "email" else user.phone
    assert target
    _row, code = codes.issue(user.id, "claim", target, owner_number=number)
    db.session.add(OwnerClaim(owner_number=number, user_id=user.id, status="pending",
                              reason=channel))
    return channel, target, code


def request_claim(user: User, owner_number: str) -> ClaimStarted:
    """Send a claim code to the brand-verified contact the account shares. The caller commits
    (also on ClaimRefused: the refusal is recorded for administrators)."""
    from app.accounts.flows import mask

    number = owner_number.strip()
    channel, target, code = issue_claim_code(user, number)
    context = {"code": code, "owner_number": number, "minutes": codes.CODE_MINUTES}
    if channel == "email":
        mail.send(user, "claim_code", **context)
    else:
        mail.send_sms(user, "claim_code", **context)
    audit.record("growth.claim_code_sent", actor_id=user.id, subject=number, channel=channel)
    return ClaimStarted(number, channel, mask(target))


def confirm_claim(user: User, code: str) -> str | None:
    """Bind the number the account's live claim code names; the number, or None. Caller commits."""
    row = codes.redeem(user.id, "claim", code)
    if row is None or not row.owner_number:
        return None
    number = row.owner_number
    previous = db.session.scalar(select(User).where(User.external_id == number))
    if previous is not None and previous.id != user.id:
        previous.external_id = None
        db.session.flush()  # the unique number is free before this account takes it
    user.external_id = number
    moved = holding.release_to(user.id, number)
    claim = db.session.scalar(
        select(OwnerClaim)
        .where(OwnerClaim.user_id == user.id, OwnerClaim.owner_number == number,
               OwnerClaim.status == "pending")
        .order_by(OwnerClaim.id.desc()).limit(1)
    ) or OwnerClaim(owner_number=number, user_id=user.id, status="pending")
    claim.status = "confirmed"
    claim.decided_at = utcnow()
    claim.previous_user_id = previous.id if previous is not None and previous.id != user.id \
        else None
    db.session.add(claim)
    db.session.flush()
    transferred = 0
    if claim.previous_user_id is not None:
        # The number's value leaves the old account by a debit and reaches this one by a credit.
        transferred = transfers.move_value(claim.id, number, claim.previous_user_id, user.id,
                                           claim.decided_at)
    bindings.log_binding(claim, transferred)
    audit.record("growth.owner_claimed", actor_id=user.id, subject=number,
                 transferred_from=claim.previous_user_id, entries_released=moved,
                 points_transferred=transferred)
    return number


def start_after_signup(user: User, owner_number: str) -> None:
    """The number typed at sign-up: start its claim now that the address is confirmed."""
    from flask import flash

    try:
        started = request_claim(user, owner_number)
    except ClaimRefused as refusal:
        flash(str(refusal), "error")
        return
    flash(_("We sent a code to %(target)s to link owner number %(number)s. Enter it on your "
            "profile.", target=started.shown_target, number=started.owner_number), "info")
