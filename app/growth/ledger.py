"""Growth value balances, derived from the append-only ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select

from app.core.extensions import db
from app.growth.models import GrowthEntry


def balance(owner_id: int, at: datetime) -> int:
    total = db.session.scalar(
        select(func.coalesce(func.sum(GrowthEntry.points), 0)).where(
            GrowthEntry.owner_id == owner_id, GrowthEntry.occurred_at <= at
        )
    )
    return int(total or 0)


def balances_at(at: datetime) -> Iterator[tuple[int, int]]:
    """(owner id, balance) for every owner with any entry at or before `at`, in one query."""
    rows = db.session.execute(
        select(GrowthEntry.owner_id, func.sum(GrowthEntry.points))
        .where(GrowthEntry.occurred_at <= at)
        .group_by(GrowthEntry.owner_id)
        .order_by(GrowthEntry.owner_id)
    )
    for owner_id, total in rows:
        yield int(owner_id), int(total or 0)


def history(owner_id: int) -> list[GrowthEntry]:
    return list(
        db.session.scalars(
            select(GrowthEntry)
            .where(GrowthEntry.owner_id == owner_id)
            .order_by(GrowthEntry.occurred_at, GrowthEntry.id)
        )
    )
