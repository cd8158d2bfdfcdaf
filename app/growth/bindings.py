"""Every owner-number binding, and the brand's contact list it was proved against, in the log.

A bound number carries votes, so `flask trust audit` must be able to re-derive who holds each
number from something a database edit cannot quietly change. Each confirmed claim appends an
"owner.bound" leaf naming the number, the account, the account it left (a transfer), the claim,
how it was proved and the growth value it moved; replaying those leaves in order gives the one
binding each number should have (app/integrity/claims.py compares it with users.external_id).

The contacts are published only as one SHA-256 over the whole table after each change
("owner.contacts"): the digests themselves stay private (a phone number's digest is easy to
reverse), yet a contact edited outside an import no longer matches the latest leaf.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from app.core.extensions import db
from app.growth.models import OwnerClaim, OwnerContact
from app.translog import service as translog

BOUND = "owner.bound"
CONTACTS = "owner.contacts"


def binding_record(claim: OwnerClaim, moved_points: int) -> dict[str, object]:
    return {
        "type": BOUND,
        "claim": claim.id,
        "number": claim.owner_number,
        "account": claim.user_id,
        "previous_account": claim.previous_user_id,
        "proof": claim.reason,
        "moved_points": moved_points,
    }


def log_binding(claim: OwnerClaim, moved_points: int) -> None:
    assert claim.id is not None and claim.decided_at is not None
    translog.append(BOUND, f"owner:{claim.owner_number}", binding_record(claim, moved_points),
                    at=claim.decided_at)


def contacts_sha256() -> str:
    """One digest over every contact row, in number order; streamed, so any size fits."""
    digest = hashlib.sha256()
    rows = db.session.execute(
        select(OwnerContact.owner_number, OwnerContact.email_digest, OwnerContact.phone_digest)
        .order_by(OwnerContact.owner_number)
        .execution_options(yield_per=5_000)
    )
    for number, email, phone in rows:
        digest.update(f"{number}\t{email or ''}\t{phone or ''}\n".encode())
    return digest.hexdigest()


def contacts_count() -> int:
    from sqlalchemy import func

    return int(db.session.scalar(select(func.count()).select_from(OwnerContact)) or 0)


def log_contacts(source: str) -> None:
    db.session.flush()
    translog.append(CONTACTS, f"contacts:{source}", {
        "type": CONTACTS, "source": source, "numbers": contacts_count(),
        "table_sha256": contacts_sha256(),
    })
