"""An owner number's growth value follows the number when it moves to another account.

The ledger is append-only, so a transfer never edits or deletes the old account's entries: it
writes, per dimension, a debit on the account the number left and an equal credit on the account
that proved it, both at the moment of the transfer and both naming the claim that moved it
(source "transfer", source_id "claim:<id>:out|in:<dimension>"). A roll frozen before the transfer
still counts the old account; one frozen after counts the new one, and never both.

An account holds at most one owner number at a time and every growth entry comes from an owner
number (imports, or held entries released by a claim), so what the old account holds when the
number leaves it is the number's value.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select

from app.core.extensions import db
from app.growth import batches
from app.growth.models import DIMENSIONS, GrowthEntry

SOURCE = "transfer"


def value_by_dimension(owner_id: int, at: datetime) -> dict[str, int]:
    rows = db.session.execute(
        select(GrowthEntry.dimension, func.sum(GrowthEntry.points))
        .where(GrowthEntry.owner_id == owner_id, GrowthEntry.occurred_at <= at)
        .group_by(GrowthEntry.dimension)
        .order_by(GrowthEntry.dimension)
    )
    return {dimension: int(total) for dimension, total in rows if total}


def move_value(claim_id: int, number: str, from_id: int, to_id: int, at: datetime) -> int:
    """Write the compensating pair for each dimension; the points moved (0 when none)."""
    value = value_by_dimension(from_id, at)
    rows = []
    for dimension, points in value.items():
        for side, owner_id, signed, reason in (
            ("out", from_id, -points,
             f"Owner number {number} transferred to account #{to_id} (claim {claim_id})"),
            ("in", to_id, points,
             f"Owner number {number} transferred from account #{from_id} (claim {claim_id})"),
        ):
            rows.append({"owner_id": owner_id, "dimension": dimension, "points": signed,
                         "reason": reason, "source": SOURCE,
                         "source_id": f"claim:{claim_id}:{side}:{dimension}",
                         "occurred_at": at, "recorded_at": at})
    if rows:
        db.session.execute(insert(GrowthEntry), rows)
        batches.log_batch(rows)  # a batch of its own, so the audit's growth check accounts it
    return sum(value.values())


def moved_by_claims(claim_ids: list[int]) -> dict[int, int]:
    """Points each transfer claim credited to the account that proved it."""
    if not claim_ids:
        return {}
    wanted = {f"claim:{claim_id}:in:{d}": claim_id for claim_id in claim_ids for d in DIMENSIONS}
    moved: dict[int, int] = dict.fromkeys(claim_ids, 0)
    rows = db.session.execute(
        select(GrowthEntry.source_id, GrowthEntry.points)
        .where(GrowthEntry.source == SOURCE, GrowthEntry.source_id.in_(list(wanted)))
    )
    for source_id, points in rows:
        moved[wanted[source_id]] += int(points)
    return moved


def moved_from(number: str) -> set[int]:
    """Every account the number has left by a confirmed transfer."""
    from app.growth.models import OwnerClaim

    return {int(previous) for previous in db.session.scalars(
        select(OwnerClaim.previous_user_id).where(
            OwnerClaim.owner_number == number, OwnerClaim.status == "confirmed",
            OwnerClaim.previous_user_id.isnot(None),
        )
    )}
