"""`flask trust audit`, owner numbers: every binding that gives an account growth value (and so
votes) is re-derived from the log and compared with the rows that grant it.

- Replaying the "owner.bound" leaves in log order gives each number's one account (an account
  holds one number at a time; a transfer takes it from the account it left). Every
  users.external_id must be exactly that, and nothing else may be bound.
- Every confirmed claim has its leaf, saying the same number, account and previous account.
- Every transfer's debit and credit in the growth ledger equal the points its leaf moved.
- The brand's contact table still hashes to what the latest "owner.contacts" leaf published.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import User
from app.core.extensions import db
from app.growth import bindings, transfers
from app.growth.models import GrowthEntry, OwnerClaim
from app.integrity.findings import Finding
from app.translog.models import LogLeaf


def _leaves(type_: str) -> Iterator[tuple[int, dict[str, Any]]]:
    rows = db.session.execute(
        select(LogLeaf.index, LogLeaf.record_json).where(LogLeaf.type == type_)
        .order_by(LogLeaf.index).execution_options(yield_per=5_000)
    )
    for index, record_json in rows:
        yield int(index), json.loads(record_json)


def audit_claims() -> Iterator[Finding]:
    holder: dict[str, int] = {}  # number -> account, as the log says
    held_by: dict[int, str] = {}  # account -> number
    logged_claims: dict[int, dict[str, Any]] = {}
    for _index, record in _leaves(bindings.BOUND):
        number, account = str(record["number"]), int(record["account"])
        earlier = held_by.pop(account, None)
        if earlier is not None:
            holder.pop(earlier, None)
        before = holder.get(number)
        if before is not None:
            held_by.pop(before, None)
        holder[number] = account
        held_by[account] = number
        logged_claims[int(record["claim"])] = record

    stored: dict[str, int] = {
        str(number): int(account) for number, account in db.session.execute(
            select(User.external_id, User.id).where(User.external_id.isnot(None))
            .execution_options(yield_per=5_000)
        )
    }
    for number, account in sorted(stored.items()):
        logged = holder.get(number)
        if logged is None:
            yield Finding(f"account {account}", f"holds owner number {number}, which no logged "
                                                f"claim gave it")
        elif logged != account:
            yield Finding(f"account {account}", f"holds owner number {number}, which the log "
                                                f"gives to account {logged}")
    for number, account in sorted(holder.items()):
        if number not in stored:
            yield Finding(f"owner number {number}", f"the log gives it to account {account}, "
                                                    f"but no account holds it")

    confirmed = db.session.scalars(
        select(OwnerClaim).where(OwnerClaim.status == "confirmed").order_by(OwnerClaim.id)
    )
    seen: set[int] = set()
    for claim in confirmed:
        seen.add(claim.id)
        record = logged_claims.get(claim.id)
        where = f"owner claim {claim.id}"
        if record is None:
            yield Finding(where, f"confirmed for owner number {claim.owner_number}, but never "
                                 f"logged")
            continue
        said = (record["number"], record["account"], record["previous_account"])
        if said != (claim.owner_number, claim.user_id, claim.previous_user_id):
            yield Finding(where, f"edited: the log says number {said[0]} to account {said[1]} "
                                 f"(from {said[2]}), the row says {claim.owner_number} to "
                                 f"{claim.user_id} (from {claim.previous_user_id})")
    for claim_id in sorted(set(logged_claims) - seen):
        yield Finding(f"owner claim {claim_id}", "logged as confirmed, but its row is gone or "
                                                 "no longer confirmed")

    yield from _audit_transfers(logged_claims)
    yield from _audit_contacts()


def _audit_transfers(logged_claims: dict[int, dict[str, Any]]) -> Iterator[Finding]:
    moved: dict[tuple[int, str], tuple[int, int]] = {}  # (claim, side) -> (account, points)
    rows = db.session.execute(
        select(GrowthEntry.source_id, GrowthEntry.owner_id, func.sum(GrowthEntry.points))
        .where(GrowthEntry.source == transfers.SOURCE)
        .group_by(GrowthEntry.source_id, GrowthEntry.owner_id)
    )
    for source_id, owner_id, points in rows:
        parts = str(source_id).split(":")
        if len(parts) != 4 or parts[0] != "claim" or not parts[1].isdigit():
            yield Finding(f"growth entry {source_id}", "a transfer entry no claim names")
            continue
        key = (int(parts[1]), parts[2])
        account, total = moved.get(key, (int(owner_id), 0))
        if account != owner_id:
            yield Finding(f"transfer of claim {key[0]}", f"its {key[1]} side names two accounts")
        moved[key] = (account, total + int(points))
    for claim_id, record in sorted(logged_claims.items()):
        points = int(record.get("moved_points") or 0)
        expected = {}
        if record.get("previous_account") is not None and points:
            expected = {"out": (int(record["previous_account"]), -points),
                        "in": (int(record["account"]), points)}
        for side in ("out", "in"):
            found = moved.pop((claim_id, side), None)
            if found != expected.get(side):
                yield Finding(f"transfer of claim {claim_id}",
                              f"its {side} entries say {found}, the log {expected.get(side)} "
                              f"(account, points)")
    for (claim_id, side), found in sorted(moved.items()):
        yield Finding(f"transfer of claim {claim_id}",
                      f"{side} entries {found} for a claim the log never confirmed")


def _audit_contacts() -> Iterator[Finding]:
    latest = None
    for _index, record in _leaves(bindings.CONTACTS):
        latest = record
    now = bindings.contacts_sha256()
    if latest is None:
        if bindings.contacts_count():
            yield Finding("owner contacts", "the brand's contacts were never logged")
        return
    if now != latest["table_sha256"]:
        yield Finding("owner contacts", f"the table no longer matches the last logged import "
                                        f"({latest['numbers']} numbers from {latest['source']}): "
                                        f"a contact was added, edited or removed outside an import")
