"""Growth entries for owner numbers not yet proved by any account, and the brand's contacts.

The import (imports.py) resolves each row's owner number: a number bound to an account writes
to growth_entries as before; a number with a verified contact (from this file or an earlier
one) but no bound account is *held* here, counting for nobody; a number with neither is an
"unknown owner" problem, as it always was. A confirmed claim (claims.py) moves the number's
held entries into growth_entries under the claiming account.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select

from app.core.db_types import utcnow
from app.core.extensions import db
from app.growth import batches, bindings
from app.growth.models import GrowthEntry, HeldGrowthEntry, OwnerContact
from app.growth.rows import EntryRow, Problem


def file_contacts(
    entries: Sequence[EntryRow], problems: list[Problem]
) -> dict[str, tuple[str | None, str | None]]:
    """Each owner number's (email digest, phone digest) as the file gives them; a number given
    two different digests of one kind in one file is a problem."""
    found: dict[str, tuple[str | None, str | None]] = {}
    first_row: dict[tuple[str, int], int] = {}
    for entry in entries:
        if entry.contact_email is None and entry.contact_phone is None:
            continue
        email, phone = found.get(entry.owner, (None, None))
        for index, (name, given) in enumerate(
            (("contact_email_sha256", entry.contact_email),
             ("contact_phone_sha256", entry.contact_phone))
        ):
            if given is None:
                continue
            have = (email, phone)[index]
            if have is not None and have != given:
                first = first_row[(entry.owner, index)]
                problems.append(Problem(entry.row, name,
                                        f"differs from row {first} for the same owner"))
                continue
            first_row.setdefault((entry.owner, index), entry.row)
            if index == 0:
                email = given
            else:
                phone = given
        found[entry.owner] = (email, phone)
    return found


def numbers_with_contact(numbers: Sequence[str]) -> set[str]:
    wanted = sorted(set(numbers))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(db.session.scalars(
            select(OwnerContact.owner_number).where(
                OwnerContact.owner_number.in_(chunk),
                (OwnerContact.email_digest.isnot(None)) | (OwnerContact.phone_digest.isnot(None)),
            )
        ))
    return found


def existing_held(source: str, source_ids: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """(owner number, dimension, points, reason, occurred_at) already held, by source_id."""
    found: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(source_ids), 500):
        chunk = list(source_ids[start : start + 500])
        rows = db.session.execute(
            select(HeldGrowthEntry.source_id, HeldGrowthEntry.owner_number,
                   HeldGrowthEntry.dimension, HeldGrowthEntry.points, HeldGrowthEntry.reason,
                   HeldGrowthEntry.occurred_at)
            .where(HeldGrowthEntry.source == source, HeldGrowthEntry.source_id.in_(chunk))
        )
        for source_id, *content in rows:
            found[source_id] = tuple(content)
    return found


def save_contacts(contacts: dict[str, tuple[str | None, str | None]], source: str) -> int:
    """Record the brand's latest verified contacts; a digest the file leaves blank is kept."""
    now = utcnow()
    for number, (email, phone) in contacts.items():
        row = db.session.get(OwnerContact, number)
        if row is None:
            row = OwnerContact(owner_number=number, source=source)
            db.session.add(row)
        if email is not None:
            row.email_digest = email
        if phone is not None:
            row.phone_digest = phone
        row.source = source
        row.updated_at = now
    if contacts:
        bindings.log_contacts(source)
    return len(contacts)


def hold(rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5_000):
        db.session.execute(insert(HeldGrowthEntry), rows[start : start + 5_000])


def release_to(owner_id: int, number: str) -> int:
    """Move the number's held entries into the ledger under `owner_id`; how many moved."""
    held = db.session.scalars(
        select(HeldGrowthEntry).where(HeldGrowthEntry.owner_number == number)
        .order_by(HeldGrowthEntry.id)
    ).all()
    if not held:
        return 0
    # Recorded now, as a batch of its own in the log (app/growth/batches.py): the import that
    # held them logged only what it wrote to the ledger then.
    now = utcnow()
    rows = [
        {"owner_id": owner_id, "dimension": h.dimension, "points": h.points, "reason": h.reason,
         "source": h.source, "source_id": h.source_id, "occurred_at": h.occurred_at,
         "recorded_at": now}
        for h in held
    ]
    db.session.execute(insert(GrowthEntry), rows)
    batches.log_batch(rows)
    batches.log_released([
        {"owner_number": h.owner_number, "dimension": h.dimension, "points": h.points,
         "reason": h.reason, "source": h.source, "source_id": h.source_id,
         "occurred_at": h.occurred_at, "recorded_at": h.recorded_at}
        for h in held
    ], owner_id, now)
    db.session.execute(delete(HeldGrowthEntry).where(HeldGrowthEntry.owner_number == number))
    return len(held)
